import type { Meter } from '@opentelemetry/api';
import { subscribe } from '#platform/events/subscription.ts';
import { PaymentRequested } from '../../ordering/contract.ts';
import type { TakePayment } from '../application/take-payment.ts';

/** Ordering asks for an order to be paid: charge it, in the handler's transaction, and count declines once committed. */
export const onOrderingPaymentRequested = subscribe(PaymentRequested, ({ takePayment, metrics }: { takePayment: TakePayment; metrics: Meter }) => {
  const declined = metrics.createCounter('seams_payments_declined', { description: 'Charges the payment provider declined.' });
  return async (event, trx) => {
    const payment = await takePayment(event.payload, trx);
    if (payment.status === 'declined') event.afterCommit(() => declined.add(1));
  };
});
