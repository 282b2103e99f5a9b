import { sql, type Kysely } from 'kysely';

// Frozen in time: migrations use Kysely<any> and import no app code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Each subscription runs at its own pace, so an order's OrderCancelled can be handled before its OrderPlaced (an
  // order that expired while inventory was behind). Remembering such orders keeps the late OrderPlaced from reserving
  // stock that no later event would release.
  await db.schema
    .createTable('cancelled_before_reserved')
    .addColumn('order_id', 'uuid', (col) => col.primaryKey())
    .addColumn('cancelled_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('cancelled_before_reserved').execute();
}
