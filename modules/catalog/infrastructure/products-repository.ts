import type { Transaction } from 'kysely';
import { compileOnce, runCompiled } from '#platform/db/compiled-query.ts';
import type { ModuleDb } from '#platform/db/module-database.ts';
import type { NewProduct, Product, ProductChange } from '../domain/product.ts';
import type { CatalogTables, ProductRow } from './products.table.ts';

export interface ProductPageCursor {
  readonly createdAt: Date;
  readonly id: string;
}

export interface ProductsRepository {
  /** Returns undefined when the SKU is taken. */
  insert(product: NewProduct, trx: Transaction<CatalogTables>): Promise<Product | undefined>;
  findById(id: string): Promise<Product | undefined>;
  findByIds(ids: readonly string[]): Promise<Product[]>;
  /** Products after the cursor in (created_at, id) order. */
  list(limit: number, after: ProductPageCursor | undefined): Promise<Product[]>;
  update(id: string, change: ProductChange, trx: Transaction<CatalogTables>): Promise<Product | undefined>;
}

export function makeProductsRepository({ db }: { db: ModuleDb<CatalogTables> }): ProductsRepository {
  // The product read is the API's hottest query: built and compiled once.
  const byId = compileOnce(db.selectFrom('products').selectAll().where('id', '=', ''));
  return {
    async insert(product, trx) {
      const row = await trx
        .insertInto('products')
        .values({ sku: product.sku, name: product.name, price_cents: product.priceCents, currency: product.currency })
        .onConflict((conflict) => conflict.column('sku').doNothing())
        .returningAll()
        .executeTakeFirst();
      return row && toProduct(row);
    },

    async findById(id) {
      const [row] = await runCompiled(db, byId(id));
      return row && toProduct(row);
    },

    async findByIds(ids) {
      if (ids.length === 0) return [];
      const rows = await db.selectFrom('products').selectAll().where('id', 'in', ids).execute();
      return rows.map(toProduct);
    },

    async list(limit, after) {
      let query = db.selectFrom('products').selectAll().orderBy('created_at').orderBy('id').limit(limit);
      if (after) {
        query = query.where((eb) => eb.or([eb('created_at', '>', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)])]));
      }
      return (await query.execute()).map(toProduct);
    },

    async update(id, change, trx) {
      const row = await trx
        .updateTable('products')
        .set({
          ...(change.name === undefined ? {} : { name: change.name }),
          ...(change.priceCents === undefined ? {} : { price_cents: change.priceCents }),
          updated_at: new Date(),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && toProduct(row);
    },
  };
}

function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    priceCents: Number(row.price_cents),
    currency: row.currency,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
