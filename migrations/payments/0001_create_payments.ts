import { sql, type Kysely } from 'kysely';

// Frozen in time: migrations use Kysely<any> and import no app code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // order_id is ordering's id; no foreign key, because ordering's table lives in another module's schema.
  await db.schema
    .createTable('payments')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    // Unique: an order is charged once, however often its payment is requested.
    .addColumn('order_id', 'uuid', (col) => col.notNull().unique())
    .addColumn('customer_id', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().check(sql`status in ('captured', 'declined')`))
    .addColumn('amount_cents', 'bigint', (col) => col.notNull().check(sql`amount_cents >= 0`))
    .addColumn('currency', 'char(3)', (col) => col.notNull())
    .addColumn('provider_reference', 'text', (col) => col.notNull())
    .addColumn('decline_reason', 'text')
    .addColumn('created_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('payments_declined_has_reason', sql`(status = 'declined') = (decline_reason is not null)`)
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('payments').execute();
}
