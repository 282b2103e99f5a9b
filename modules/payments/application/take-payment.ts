import type { Transaction } from 'kysely';
import type { Publisher } from '#platform/events/publisher.ts';
import { PaymentCaptured, PaymentDeclined } from '../contract.ts';
import type { Payment } from '../domain/payment.ts';
import type { PaymentsTables } from '../infrastructure/payments.table.ts';
import type { PaymentsRepository } from '../infrastructure/payments-repository.ts';
import type { PaymentProvider } from './payment-provider.ts';

export interface PaymentRequest {
  readonly orderId: string;
  readonly customerId: string;
  readonly amountCents: number;
  readonly currency: string;
  readonly paymentMethod?: string | undefined;
}

/**
 * Charges an order through the provider, records the payment and announces the outcome, in the caller's transaction
 * (an event handler's). An order that already has a payment is not charged again: its payment is returned as is.
 */
export type TakePayment = (request: PaymentRequest, trx: Transaction<PaymentsTables>) => Promise<Payment>;

type Deps = { paymentsRepository: PaymentsRepository; paymentProvider: PaymentProvider; events: Publisher };

export function makeTakePayment({ paymentsRepository, paymentProvider, events }: Deps): TakePayment {
  return async (request, trx) => {
    const existing = await paymentsRepository.findByOrderId(request.orderId, trx);
    if (existing) return existing;
    const { orderId, customerId, amountCents, currency, paymentMethod } = request;
    // If this transaction is rolled back and redone, the provider answers the same order with the same result.
    const result = await paymentProvider.charge({ orderId, customerId, amountCents, currency, paymentMethod });
    const payment = await paymentsRepository.insert(
      {
        orderId,
        customerId,
        amountCents,
        currency,
        status: result.status,
        providerReference: result.reference,
        declineReason: result.status === 'declined' ? result.reason : undefined,
      },
      trx,
    );
    // Another transaction recorded this order's payment first (and announced it): keep that one.
    if (!payment) return (await paymentsRepository.findByOrderId(orderId, trx))!;
    if (payment.status === 'captured') {
      await events.publish(trx, PaymentCaptured, { orderId, paymentId: payment.id, amountCents, currency });
    } else {
      await events.publish(trx, PaymentDeclined, { orderId, paymentId: payment.id, reason: payment.declineReason ?? 'declined' });
    }
    return payment;
  };
}
