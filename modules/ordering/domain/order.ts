import { DuplicateProductError, MixedCurrenciesError, OrderTotalTooLargeError, UnknownProductsError } from './order-errors.ts';

export type OrderStatus = 'pending' | 'confirmed' | 'cancelled';
export type CancellationReason = 'out_of_stock' | 'payment_declined' | 'expired';

export interface OrderLine {
  readonly productId: string;
  readonly quantity: number;
  readonly unitPriceCents: number;
}

/** Where an order stands in its life; what the process manager decides on. */
export interface OrderProgress {
  readonly status: OrderStatus;
  /** Inventory reserved the stock and payment was requested. */
  readonly stockReserved: boolean;
  readonly cancellationReason: CancellationReason | undefined;
}

/** An order without its lines: enough to move it along and to announce it. */
export interface OrderHeader extends OrderProgress {
  readonly id: string;
  readonly customerId: string;
  readonly totalCents: number;
  readonly currency: string;
  /** The customer's payment token, kept for the payment request. */
  readonly paymentMethod: string | undefined;
  readonly placedAt: Date;
}

export interface Order extends OrderHeader {
  readonly lines: readonly OrderLine[];
}

/** Who may see an order: the customer who placed it, and admins. */
export function isVisibleTo(order: Pick<OrderHeader, 'customerId'>, viewer: { readonly customerId: string; readonly isAdmin: boolean }): boolean {
  return viewer.isAdmin || order.customerId === viewer.customerId;
}

/** A line as the customer asked for it, before it has a price. */
export interface RequestedLine {
  readonly productId: string;
  readonly quantity: number;
}

/** A product's price at the moment of placing, as the catalog quotes it. */
export interface PriceQuote {
  readonly id: string;
  readonly priceCents: number;
  readonly currency: string;
}

export interface PricedOrder {
  readonly lines: readonly OrderLine[];
  readonly totalCents: number;
  readonly currency: string;
}

/**
 * An order has one line per product. Repeating a product is refused rather than merged, so the customer sees the
 * lines they sent, exactly; the error names each repeating line.
 */
export function assertOneLinePerProduct(lines: readonly RequestedLine[]): void {
  const firstIndex = new Map<string, number>();
  const repeats: Array<{ index: number; firstIndex: number }> = [];
  lines.forEach((line, index) => {
    const first = firstIndex.get(line.productId);
    if (first === undefined) firstIndex.set(line.productId, index);
    else repeats.push({ index, firstIndex: first });
  });
  if (repeats.length > 0) throw new DuplicateProductError(repeats);
}

/**
 * Prices each line at the quoted price. Every product must be quoted, all in one currency, and the total must stay an
 * exact JSON number.
 */
export function priceLines(lines: readonly RequestedLine[], quotes: readonly PriceQuote[]): PricedOrder {
  const quoteOf = new Map(quotes.map((quote) => [quote.id, quote]));
  const unknown = lines.flatMap((line, index) => (quoteOf.has(line.productId) ? [] : [{ index, productId: line.productId }]));
  if (unknown.length > 0) throw new UnknownProductsError(unknown);

  const priced = lines.map((line) => {
    const quote = quoteOf.get(line.productId)!;
    return { productId: line.productId, quantity: line.quantity, unitPriceCents: quote.priceCents, currency: quote.currency };
  });
  const currency = priced[0]!.currency;
  const foreign = priced.flatMap((line, index) => (line.currency === currency ? [] : [{ index, currency: line.currency }]));
  if (foreign.length > 0) throw new MixedCurrenciesError(currency, foreign);

  // In bigint: 100 lines of 10,000 at catalog's highest price would pass 2^53 and round silently as a number.
  const total = priced.reduce((sum, line) => sum + BigInt(line.unitPriceCents) * BigInt(line.quantity), 0n);
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) throw new OrderTotalTooLargeError();

  return {
    lines: priced.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })),
    totalCents: Number(total),
    currency,
  };
}

/**
 * What happened to an order, named as the event that tells the process manager so: inventory's and payments'
 * answers, and `ExpiryDue`, the deadline ordering set itself when the order was placed.
 */
export type OrderFact = 'StockReserved' | 'StockRejected' | 'PaymentCaptured' | 'PaymentDeclined' | 'ExpiryDue';

/** What to do about a fact: move the order on (and announce it), or leave it as it is. */
export type Decision =
  | { readonly outcome: 'request_payment'; readonly next: OrderProgress }
  | { readonly outcome: 'confirm'; readonly next: OrderProgress }
  | { readonly outcome: 'cancel'; readonly next: OrderProgress; readonly reason: CancellationReason }
  | { readonly outcome: 'ignore'; readonly why: string };

/**
 * The order's state machine. A pending order waits for stock first, then for payment:
 *
 *   pending --StockReserved--> pending (stock reserved, payment requested)
 *   pending --StockRejected--> cancelled (out_of_stock)
 *   pending (stock reserved) --PaymentCaptured--> confirmed
 *   pending (stock reserved) --PaymentDeclined--> cancelled (payment_declined)
 *   pending --ExpiryDue--> cancelled (expired)
 *
 * Anything else changes nothing: a settled order stays settled, and a fact that arrives out of turn is ignored.
 */
export function decide(order: OrderProgress, fact: OrderFact): Decision {
  if (order.status !== 'pending') return { outcome: 'ignore', why: `the order is already ${order.status}` };
  switch (fact) {
    case 'StockReserved':
      return order.stockReserved ? { outcome: 'ignore', why: 'its stock is already reserved' } : { outcome: 'request_payment', next: { ...order, stockReserved: true } };
    case 'StockRejected':
      return order.stockReserved ? { outcome: 'ignore', why: 'its stock is already reserved' } : cancel(order, 'out_of_stock');
    case 'PaymentCaptured':
      return order.stockReserved ? { outcome: 'confirm', next: { ...order, status: 'confirmed' } } : { outcome: 'ignore', why: 'no payment was requested for it yet' };
    case 'PaymentDeclined':
      return order.stockReserved ? cancel(order, 'payment_declined') : { outcome: 'ignore', why: 'no payment was requested for it yet' };
    case 'ExpiryDue':
      return cancel(order, 'expired');
  }
}

function cancel(order: OrderProgress, reason: CancellationReason): Decision {
  return { outcome: 'cancel', next: { ...order, status: 'cancelled', cancellationReason: reason }, reason };
}
