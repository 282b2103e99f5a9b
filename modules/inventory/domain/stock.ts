import { ConflictError, NotFoundError } from '#platform/errors.ts';

/** The stock of one product. `available` is what new orders may still reserve. */
export interface StockItem {
  readonly productId: string;
  readonly onHand: number;
  readonly reserved: number;
  readonly available: number;
}

export function stockItem(productId: string, onHand: number, reserved: number): StockItem {
  return { productId, onHand, reserved, available: onHand - reserved };
}

export class ItemNotFoundError extends NotFoundError {
  constructor(productId: string) {
    super('ITEM_NOT_FOUND', `No stock has been recorded for product ${productId}`, { productId });
  }
}

/** Stock held for open orders cannot be taken away by a stock count: the orders would be promised goods that do not exist. */
export class StockBelowReservedError extends ConflictError {
  constructor(productId: string, onHand: number, reserved: number) {
    super('STOCK_BELOW_RESERVED', `Product ${productId} has ${reserved} reserved for open orders; on hand cannot go below that (asked for ${onHand})`, {
      productId,
      onHand,
      reserved,
    });
  }
}
