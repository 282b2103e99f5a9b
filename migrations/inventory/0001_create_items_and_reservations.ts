import { sql, type Kysely } from 'kysely';

// Frozen in time: migrations use Kysely<any> and import no app code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // product_id is catalog's id; no foreign key, because catalog's table lives in another module's schema.
  await db.schema
    .createTable('items')
    .addColumn('product_id', 'uuid', (col) => col.primaryKey())
    .addColumn('on_hand', 'integer', (col) => col.notNull())
    .addColumn('reserved', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    // The invariants hold whatever code runs: stock never goes negative, and never below what orders hold.
    .addCheckConstraint('items_on_hand_not_negative', sql`on_hand >= 0`)
    .addCheckConstraint('items_reserved_not_negative', sql`reserved >= 0`)
    .addCheckConstraint('items_reserved_within_on_hand', sql`reserved <= on_hand`)
    .execute();

  // One row per (order, product); rejected orders are recorded too, so an order is decided once.
  await db.schema
    .createTable('reservations')
    .addColumn('order_id', 'uuid', (col) => col.notNull())
    .addColumn('product_id', 'uuid', (col) => col.notNull())
    // bigint: a rejected order is recorded with what it asked for, which no stock level bounds.
    .addColumn('quantity', 'bigint', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('created_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('reservations_pkey', ['order_id', 'product_id'])
    .addCheckConstraint('reservations_quantity_positive', sql`quantity > 0`)
    .addCheckConstraint('reservations_status_known', sql`status in ('reserved', 'sold', 'released', 'rejected')`)
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('reservations').execute();
  await db.schema.dropTable('items').execute();
}
