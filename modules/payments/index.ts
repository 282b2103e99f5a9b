import { defineModule } from '#platform/modules/define-module.ts';
import { makeTakePayment } from './application/take-payment.ts';
import { paymentsContract } from './contract.ts';
import { onOrderingPaymentRequested } from './events/on-ordering-payment-requested.ts';
import { makePaymentsRepository } from './infrastructure/payments-repository.ts';
import { makeSimulatedPaymentProvider } from './infrastructure/simulated-payment-provider.ts';

export const paymentsModule = defineModule({
  name: 'payments',
  description: 'Charges orders through a payment provider and reports the outcome.',
  owners: ['@seams/payments-team'],
  dependsOn: {
    ordering: 'charges an order when ordering requests its payment',
  },
  contract: paymentsContract,
  // The contract has no methods: the outcome of a payment is announced as an event.
  api: () => ({}),
  register: {
    // The port to the provider; swap the simulated adapter for a real one (or a test double) here.
    paymentProvider: makeSimulatedPaymentProvider,
    paymentsRepository: makePaymentsRepository,
    takePayment: makeTakePayment,
  },
  subscriptions: [onOrderingPaymentRequested],
});
