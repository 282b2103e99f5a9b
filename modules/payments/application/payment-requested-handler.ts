import type { Meter } from '@opentelemetry/api';
import type { EventPayload } from '#platform/events/event-definition.ts';
import type { EventHandler } from '#platform/events/subscription.ts';
import type { PaymentRequested } from '../../ordering/contract.ts';
import type { TakePayment } from './take-payment.ts';

/** Charges the order that ordering asks to be paid, in the handler's transaction, and counts declines once committed. */
export function makeOnPaymentRequested({ takePayment, metrics }: { takePayment: TakePayment; metrics: Meter }): EventHandler<EventPayload<typeof PaymentRequested>> {
  const declined = metrics.createCounter('seams_payments_declined', { description: 'Charges the payment provider declined.' });
  return async (event, trx) => {
    const payment = await takePayment(event.payload, trx);
    if (payment.status === 'declined') event.afterCommit(() => declined.add(1));
  };
}
