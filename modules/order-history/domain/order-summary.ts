/**
 * An order as its customer sees it in their history: a copy assembled from the events of ordering, payments and
 * catalog. Nothing here is authoritative; ordering owns the order, payments the payment, catalog the names.
 */
export interface OrderSummary {
  readonly orderId: string;
  readonly status: OrderStatus;
  /** Why the order was cancelled; only on cancelled orders. */
  readonly cancellationReason: string | undefined;
  readonly lines: readonly OrderSummaryLine[];
  readonly totalCents: number;
  readonly currency: string;
  readonly paymentStatus: PaymentStatus;
  readonly placedAt: Date;
  /** When the newest event about this order happened. */
  readonly updatedAt: Date;
}

export interface OrderSummaryLine {
  readonly productId: string;
  /**
   * The product's current name, from the catalog's events; until that has arrived, the name quoted when the order was
   * placed. Null only for a line of an order placed before OrderPlaced carried names, whose product's name has not
   * reached this read model yet.
   */
  readonly productName: string | null;
  readonly quantity: number;
  readonly unitPriceCents: number;
}

/** A customer's newest orders, and how fresh the read model they come from is. */
export interface OrderHistoryPage {
  readonly orders: readonly OrderSummary[];
  /** When the newest event applied to the read model happened; undefined before the first one. */
  readonly lastEventAt: Date | undefined;
}

export const ORDER_STATUSES = ['pending', 'confirmed', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const PAYMENT_STATUSES = ['none', 'requested', 'captured', 'declined'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/**
 * Statuses only move forward. Events of different producers may arrive in any order (a payment's outcome before the
 * order it belongs to, a confirmation before the placement), so an event may only replace a status of a lower rank:
 * applying them in any order ends in the same state. Equal ranks are final: the first terminal status stays.
 */
export const ORDER_STATUS_RANK: Readonly<Record<OrderStatus, number>> = { pending: 0, confirmed: 1, cancelled: 1 };

/** Same rule for the payment: requested, then captured or declined, never back. */
export const PAYMENT_STATUS_RANK: Readonly<Record<PaymentStatus, number>> = { none: 0, requested: 1, captured: 2, declined: 2 };

/**
 * What one event tells about an order. Facts left out are not known from this event and keep their current value;
 * statuses apply only if they move forward (see the ranks above).
 */
export interface OrderChange {
  readonly orderId: string;
  /** When the event happened. */
  readonly occurredAt: Date;
  readonly customerId?: string;
  readonly status?: OrderStatus;
  /** Kept only when this change is the one that cancels the order. */
  readonly cancellationReason?: string;
  readonly paymentStatus?: PaymentStatus;
  readonly totalCents?: number;
  readonly currency?: string;
  readonly placedAt?: Date;
}

export interface PlacedLine {
  readonly productId: string;
  /** As quoted when the order was placed; null when its event predates that (OrderPlaced v1). */
  readonly productName: string | null;
  readonly quantity: number;
  readonly unitPriceCents: number;
}
