import { AppError } from '#platform/errors.ts';
import type { ModuleDb } from '#platform/db/module-database.ts';
import type { Publisher } from '#platform/events/publisher.ts';
import { ProductChanged, ProductCreated } from '../contract.ts';
import type { CatalogTables } from '../infrastructure/products.table.ts';
import { DuplicateSkuError, ProductNotFoundError, type NewProduct, type Product, type ProductChange } from '../domain/product.ts';
import type { ProductsRepository } from '../infrastructure/products-repository.ts';

type Deps = { productsRepository: ProductsRepository };
type WriteDeps = Deps & { db: ModuleDb<CatalogTables>; events: Publisher };

export type CreateProduct = (product: NewProduct) => Promise<Product>;

/** Adds a product and announces it, in one transaction. */
export function makeCreateProduct({ db, productsRepository, events }: WriteDeps): CreateProduct {
  return (product) =>
    db.transaction().execute(async (trx) => {
      const created = await productsRepository.insert(product, trx);
      if (!created) throw new DuplicateSkuError(product.sku);
      const { id: productId, sku, name, priceCents, currency } = created;
      await events.publish(trx, ProductCreated, { productId, sku, name, priceCents, currency });
      return created;
    });
}

export type GetProduct = (id: string) => Promise<Product>;

export function makeGetProduct({ productsRepository }: Deps): GetProduct {
  return async (id) => {
    const product = await productsRepository.findById(id);
    if (!product) throw new ProductNotFoundError(id);
    return product;
  };
}

export type UpdateProduct = (id: string, change: ProductChange) => Promise<Product>;

/** Changes a product's name or price and announces the result, in one transaction. */
export function makeUpdateProduct({ db, productsRepository, events }: WriteDeps): UpdateProduct {
  return (id, change) =>
    db.transaction().execute(async (trx) => {
      const product = await productsRepository.update(id, change, trx);
      if (!product) throw new ProductNotFoundError(id);
      const { name, priceCents, currency } = product;
      await events.publish(trx, ProductChanged, { productId: id, name, priceCents, currency });
      return product;
    });
}

export interface ProductPage {
  readonly items: Product[];
  /** Opaque; pass it back as `cursor` for the next page. Absent on the last page. */
  readonly nextCursor: string | undefined;
}

export type ListProducts = (options: { limit: number; cursor?: string }) => Promise<ProductPage>;

export function makeListProducts({ productsRepository }: Deps): ListProducts {
  return async ({ limit, cursor }) => {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    // One extra row tells whether another page exists without a count query.
    const rows = await productsRepository.list(limit + 1, after);
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : undefined };
  };
}

function encodeCursor(product: Product): string {
  return Buffer.from(JSON.stringify([product.createdAt.toISOString(), product.id])).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    // Exactly what encodeCursor writes, so nothing forged reaches the database as an invalid uuid or timestamp.
    if (typeof id !== 'string' || !UUID.test(id) || typeof createdAt !== 'string' || Number.isNaN(date.getTime()) || date.toISOString() !== createdAt) {
      throw new Error('bad cursor');
    }
    return { createdAt: date, id };
  } catch {
    throw new AppError('invalid', 'INVALID_CURSOR', 'The cursor is not one this API returned');
  }
}
