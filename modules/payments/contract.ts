import Type from 'typebox';
import { defineContract } from '#platform/modules/contract.ts';
import { defineEvent } from '#platform/events/event-definition.ts';

/** The provider captured the order's amount. */
export const PaymentCaptured = defineEvent({
  name: 'payments.PaymentCaptured',
  version: 1,
  description: "The provider captured the order's amount.",
  schema: Type.Object({
    orderId: Type.String({ format: 'uuid' }),
    paymentId: Type.String({ format: 'uuid' }),
    amountCents: Type.Integer({ minimum: 0 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  }),
  key: (payload) => payload.orderId,
});

/** The provider declined the charge. */
export const PaymentDeclined = defineEvent({
  name: 'payments.PaymentDeclined',
  version: 1,
  description: 'The provider declined the charge.',
  schema: Type.Object({ orderId: Type.String({ format: 'uuid' }), paymentId: Type.String({ format: 'uuid' }), reason: Type.String() }),
  key: (payload) => payload.orderId,
});

/** Payments offers no synchronous API: it reacts to payment requests and reports the outcome as events. */
export const paymentsContract = defineContract({
  module: 'payments',
  methods: {},
  events: { PaymentCaptured, PaymentDeclined },
});
