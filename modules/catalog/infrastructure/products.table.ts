import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface ProductsTable {
  id: Generated<string>;
  sku: string;
  name: string;
  // bigint comes back from pg as a string; the repository converts it.
  price_cents: ColumnType<string, number, number>;
  currency: string;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, never, Date>;
}

export interface CatalogTables {
  products: ProductsTable;
}

export type ProductRow = Selectable<ProductsTable>;
export type NewProductRow = Insertable<ProductsTable>;
export type ProductRowUpdate = Updateable<ProductsTable>;
