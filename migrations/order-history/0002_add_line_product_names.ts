import type { Kysely } from 'kysely';

// Frozen in time: migrations use Kysely<any> and import no app code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // The product's name as the catalog quoted it when the order was placed (OrderPlaced v2). Null for lines of orders
  // placed before v2, whose events carry no name: the page shows the name from the catalog's events for those.
  await db.schema.alterTable('order_summary_lines').addColumn('product_name', 'text').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('order_summary_lines').dropColumn('product_name').execute();
}
