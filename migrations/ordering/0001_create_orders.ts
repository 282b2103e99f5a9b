import { sql, type Kysely } from 'kysely';

// Frozen in time: migrations use Kysely<any> and import no app code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('orders')
    // Chosen by the app, so the idempotency key can be claimed before the order row exists.
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('customer_id', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().check(sql`status in ('pending', 'confirmed', 'cancelled')`))
    .addColumn('cancellation_reason', 'text', (col) => col.check(sql`cancellation_reason in ('out_of_stock', 'payment_declined')`))
    // Set when inventory reserved the stock and payment was requested; payment outcomes count only after it.
    .addColumn('stock_reserved_at', sql`timestamptz(3)`)
    .addColumn('total_cents', 'bigint', (col) => col.notNull().check(sql`total_cents >= 0`))
    .addColumn('currency', 'char(3)', (col) => col.notNull())
    // Handed to payments in PaymentRequested once stock is reserved; never shown back.
    .addColumn('payment_method', 'text')
    .addColumn('placed_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('orders_cancelled_has_reason', sql`(status = 'cancelled') = (cancellation_reason is not null)`)
    .execute();

  await db.schema
    .createTable('order_lines')
    .addColumn('order_id', 'uuid', (col) => col.notNull().references('orders.id'))
    // The line's index in the request, so lines read back in the order they were placed.
    .addColumn('position', 'integer', (col) => col.notNull())
    .addColumn('product_id', 'uuid', (col) => col.notNull())
    .addColumn('quantity', 'integer', (col) => col.notNull().check(sql`quantity > 0`))
    .addColumn('unit_price_cents', 'bigint', (col) => col.notNull().check(sql`unit_price_cents >= 0`))
    .addPrimaryKeyConstraint('order_lines_pkey', ['order_id', 'position'])
    .addUniqueConstraint('order_lines_one_line_per_product', ['order_id', 'product_id'])
    .execute();

  // One row per (customer, Idempotency-Key): the primary key is what makes concurrent retries place one order.
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('customer_id', 'text', (col) => col.notNull())
    .addColumn('key', 'text', (col) => col.notNull())
    .addColumn('request_hash', 'text', (col) => col.notNull())
    .addColumn('order_id', 'uuid', (col) => col.notNull())
    .addColumn('created_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['customer_id', 'key'])
    // The key is claimed before its order is inserted, in the same transaction: checked at commit.
    .addForeignKeyConstraint('idempotency_keys_order_id_fkey', ['order_id'], 'orders', ['id'], (fk) => fk.deferrable().initiallyDeferred())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute();
  await db.schema.dropTable('order_lines').execute();
  await db.schema.dropTable('orders').execute();
}
