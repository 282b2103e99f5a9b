import Type from 'typebox';
import { defineContract } from '#platform/modules/contract.ts';
import { defineEvent } from '#platform/events/event-definition.ts';

export const OrderLine = Type.Object({
  productId: Type.String({ format: 'uuid' }),
  quantity: Type.Integer({ minimum: 1 }),
  unitPriceCents: Type.Integer({ minimum: 0 }),
});

export const CancellationReason = Type.Union([Type.Literal('out_of_stock'), Type.Literal('payment_declined')]);

/** A customer placed an order at the prices of that moment; it is pending until stock and payment are settled. */
export const OrderPlaced = defineEvent({
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
