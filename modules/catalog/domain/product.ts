import { ConflictError, NotFoundError } from '#platform/errors.ts';

export interface Product {
  readonly id: string;
  readonly sku: string;
  readonly name: string;
  readonly priceCents: number;
  readonly currency: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewProduct {
  readonly sku: string;
  readonly name: string;
  readonly priceCents: number;
  readonly currency: string;
}

export interface ProductChange {
  readonly name?: string;
  readonly priceCents?: number;
}

export class ProductNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('PRODUCT_NOT_FOUND', `Product ${id} does not exist`, { productId: id });
  }
}

export class DuplicateSkuError extends ConflictError {
  constructor(sku: string) {
    super('DUPLICATE_SKU', `A product with SKU "${sku}" already exists`, { sku });
  }
}
