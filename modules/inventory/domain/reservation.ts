/** What became of an order's stock, per product. Only `reserved` still holds stock. */
export type ReservationStatus = 'reserved' | 'sold' | 'released' | 'rejected';

export interface RequestedLine {
  readonly productId: string;
  readonly quantity: number;
}

export interface ShortProduct {
  readonly productId: string;
  readonly requested: number;
  readonly available: number;
}

/** All lines can be held, or none is: an order is reserved in full or rejected, never in part. */
export type ReservationDecision =
  | { readonly kind: 'reserve'; readonly lines: readonly RequestedLine[] }
  | { readonly kind: 'reject'; readonly lines: readonly RequestedLine[]; readonly shortProducts: readonly ShortProduct[] };

/**
 * Decides whether an order can be reserved. `availableOf` answers 0 for a product without stock. An order has one line
 * per product (ordering refuses repeats; see OrderPlaced in modules/ordering/contract.ts).
 */
export function decideReservation(lines: readonly RequestedLine[], availableOf: (productId: string) => number): ReservationDecision {
  const shortProducts = lines
    .map(({ productId, quantity }) => ({ productId, requested: quantity, available: Math.max(availableOf(productId), 0) }))
    .filter((line) => line.requested > line.available);
  return shortProducts.length === 0 ? { kind: 'reserve', lines } : { kind: 'reject', lines, shortProducts };
}
