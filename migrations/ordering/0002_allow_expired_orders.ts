import { sql, type Kysely } from 'kysely';

// Frozen in time: migrations use Kysely<any> and import no app code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // An order still pending at its deadline (ORDER_PENDING_TIMEOUT_MS) is cancelled as expired.
  await sql`alter table orders drop constraint orders_cancellation_reason_check`.execute(db);
  await sql`alter table orders add constraint orders_cancellation_reason_check check (cancellation_reason in ('out_of_stock', 'payment_declined', 'expired'))`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table orders drop constraint orders_cancellation_reason_check`.execute(db);
  await sql`alter table orders add constraint orders_cancellation_reason_check check (cancellation_reason in ('out_of_stock', 'payment_declined'))`.execute(db);
}
