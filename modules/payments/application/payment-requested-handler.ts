import type { EventPayload } from '#platform/events/event-definition.ts';
import type { EventHandler } from '#platform/events/subscription.ts';
import type { PaymentRequested } from '../../ordering/contract.ts';
import type { TakePayment } from './take-payment.ts';

/** Charges the order that ordering asks to be paid, in the handler's transaction. */
export function makeOnPaymentRequested({ takePayment }: { takePayment: TakePayment }): EventHandler<EventPayload<typeof PaymentRequested>> {
  return async (event, trx) => {
    await takePayment(event.payload, trx);
  };
}
