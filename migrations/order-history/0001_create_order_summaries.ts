import { sql, type Kysely } from 'kysely';

// Frozen in time: migrations use Kysely<any> and import no app code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // One row per order. A row can be created by any of the order's events, whichever arrives first (events of
  // different producers are not ordered relative to each other), so everything OrderPlaced brings is nullable: a row
  // without placed_at is a stub that OrderPlaced fills in, and customers do not see it yet.
  await db.schema
    .createTable('order_summaries')
    .addColumn('order_id', 'uuid', (col) => col.primaryKey())
    .addColumn('customer_id', 'text')
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('pending').check(sql`status in ('pending', 'confirmed', 'cancelled')`))
    .addColumn('cancellation_reason', 'text')
    .addColumn('total_cents', 'bigint', (col) => col.check(sql`total_cents >= 0`))
    .addColumn('currency', 'char(3)')
    .addColumn('payment_status', 'text', (col) =>
      col.notNull().defaultTo('none').check(sql`payment_status in ('none', 'requested', 'captured', 'declined')`),
    )
    .addColumn('placed_at', sql`timestamptz(3)`)
    // When the newest event applied to this order happened (its occurredAt), not when it was applied.
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull())
    .execute();
  // The page query: one customer's orders, newest first.
  await db.schema
    .createIndex('order_summaries_customer_placed_at')
    .on('order_summaries')
    .columns(['customer_id', 'placed_at desc', 'order_id desc'])
    .execute();

  await db.schema
    .createTable('order_summary_lines')
    .addColumn('order_id', 'uuid', (col) => col.notNull().references('order_summaries.order_id').onDelete('cascade'))
    .addColumn('line_no', 'integer', (col) => col.notNull())
    .addColumn('product_id', 'uuid', (col) => col.notNull())
    .addColumn('quantity', 'integer', (col) => col.notNull().check(sql`quantity >= 1`))
    .addColumn('unit_price_cents', 'bigint', (col) => col.notNull().check(sql`unit_price_cents >= 0`))
    .addPrimaryKeyConstraint('order_summary_lines_pkey', ['order_id', 'line_no'])
    .execute();

  // Names are joined in when the page is read, so a name that arrives after the order, or changes later, shows up
  // without rewriting any order. No foreign key from lines: a line may name a product whose name is not known yet.
  await db.schema
    .createTable('product_names')
    .addColumn('product_id', 'uuid', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull())
    .execute();

  // How fresh the read model is: per event type, the newest event applied. One row per event type, so the
  // subscriptions, which run in transactions of their own, never wait for each other on this table.
  await db.schema
    .createTable('projection_state')
    .addColumn('event_name', 'text', (col) => col.primaryKey())
    .addColumn('last_event_at', sql`timestamptz(3)`, (col) => col.notNull())
    .addColumn('applied_at', sql`timestamptz(3)`, (col) => col.notNull())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('projection_state').execute();
  await db.schema.dropTable('product_names').execute();
  await db.schema.dropTable('order_summary_lines').execute();
  await db.schema.dropTable('order_summaries').execute();
}
