import { AppError } from '#platform/errors.ts';
import { DuplicateSkuError, ProductNotFoundError, type NewProduct, type Product, type ProductChange } from '../domain/product.ts';
import type { ProductsRepository } from '../infrastructure/products-repository.ts';

type Deps = { productsRepository: ProductsRepository };

export type CreateProduct = (product: NewProduct) => Promise<Product>;

export function makeCreateProduct({ productsRepository }: Deps): CreateProduct {
  return async (product) => {
    const created = await productsRepository.insert(product);
    if (!created) throw new DuplicateSkuError(product.sku);
    return created;
  };
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

export function makeUpdateProduct({ productsRepository }: Deps): UpdateProduct {
  return async (id, change) => {
    const product = await productsRepository.update(id, change);
    if (!product) throw new ProductNotFoundError(id);
    return product;
  };
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

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (typeof id !== 'string' || Number.isNaN(date.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw new AppError('invalid', 'INVALID_CURSOR', 'The cursor is not one this API returned');
  }
}
