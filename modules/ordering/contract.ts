import Type from 'typebox';
import { defineContract } from '#platform/modules/contract.ts';
import { defineEvent } from '#platform/events/event-definition.ts';

/** A line of an order as v1 of OrderPlaced carries it. An order has one line per product: ordering refuses repeats. */
export const OrderLine = Type.Object({
  productId: Type.String({ format: 'uuid' }),
  quantity: Type.Integer({ minimum: 1 }),
  unitPriceCents: Type.Integer({ minimum: 0 }),
});

/** `expired`: still pending ORDER_PENDING_TIMEOUT_MS after it was placed (payments never answered). */
export const CancellationReason = Type.Union([Type.Literal('out_of_stock'), Type.Literal('payment_declined'), Type.Literal('expired')]);

/**
 * v1 of OrderPlaced, which ordering published before v2. Still declared because subscribers take it (inventory) and
 * stored events have it (outboxes, dead letters); ordering's contract downcasts v2 to it.
 */
export const OrderPlacedV1 = defineEvent({
  name: 'ordering.OrderPlaced',
  version: 1,
  description: 'A customer placed an order at the prices of that moment; it is pending.',
  schema: Type.Object({
    orderId: Type.String({ format: 'uuid' }),
    customerId: Type.String(),
    lines: Type.Array(OrderLine, { minItems: 1 }),
    totalCents: Type.Integer({ minimum: 0 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    placedAt: Type.String({ format: 'date-time' }),
  }),
  key: (payload) => payload.orderId,
});

/** A line of an order as v2 of OrderPlaced carries it: with the product's name as the catalog quoted it. */
export const PlacedLine = Type.Object({
  productId: Type.String({ format: 'uuid' }),
  productName: Type.Union([Type.String(), Type.Null()], { description: 'The name the customer saw when ordering; null only in events placed before v2 (upcast from v1).' }),
  quantity: Type.Integer({ minimum: 1 }),
  unitPriceCents: Type.Integer({ minimum: 0 }),
});

/**
 * A customer placed an order at the prices of that moment; it is pending until stock and payment are settled. v2 adds
 * each line's product name as quoted, a required field, hence a new version: events stored as v1 are upcast with
 * `productName: null`, and subscribers still on v1 get v2 events without it.
 */
export const OrderPlaced = defineEvent({
  name: 'ordering.OrderPlaced',
  version: 2,
  description: "A customer placed an order at the prices of that moment, each line with the product's name as quoted; it is pending.",
  schema: Type.Object({
    orderId: Type.String({ format: 'uuid' }),
    customerId: Type.String(),
    lines: Type.Array(PlacedLine, { minItems: 1 }),
    totalCents: Type.Integer({ minimum: 0 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    placedAt: Type.String({ format: 'date-time' }),
  }),
  key: (payload) => payload.orderId,
  from: OrderPlacedV1,
  upcast: (v1) => ({ ...v1, lines: v1.lines.map((line) => ({ ...line, productName: null })) }),
  downcast: (v2) => ({ ...v2, lines: v2.lines.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })) }),
});

/** Stock is reserved; the order's amount should now be charged. */
export const PaymentRequested = defineEvent({
  name: 'ordering.PaymentRequested',
  version: 1,
  description: "Stock is reserved; charge the order's amount.",
  schema: Type.Object({
    orderId: Type.String({ format: 'uuid' }),
    customerId: Type.String(),
    amountCents: Type.Integer({ minimum: 0 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    /** The customer's payment token, handed to the provider as is. */
    paymentMethod: Type.Optional(Type.String()),
  }),
  key: (payload) => payload.orderId,
});

/** Paid and reserved: the order is confirmed and its reservation becomes a sale. */
export const OrderConfirmed = defineEvent({
  name: 'ordering.OrderConfirmed',
  version: 1,
  description: 'Paid and reserved: the order is confirmed; its reservation becomes a sale.',
  schema: Type.Object({ orderId: Type.String({ format: 'uuid' }), customerId: Type.String(), totalCents: Type.Integer(), currency: Type.String() }),
  key: (payload) => payload.orderId,
});

/** The order ended without a sale; any stock reserved for it is to be released. */
export const OrderCancelled = defineEvent({
  name: 'ordering.OrderCancelled',
  version: 1,
  description: 'The order ended without a sale; any stock reserved for it is released.',
  schema: Type.Object({ orderId: Type.String({ format: 'uuid' }), customerId: Type.String(), reason: CancellationReason }),
  key: (payload) => payload.orderId,
});

/** Ordering offers no synchronous API; it runs each order's life through events. */
export const orderingContract = defineContract({
  module: 'ordering',
  methods: {},
  events: { OrderPlaced, PaymentRequested, OrderConfirmed, OrderCancelled },
});
