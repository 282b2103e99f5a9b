import { subscribe } from '#platform/events/subscription.ts';
import { PaymentRequested } from '../../ordering/contract.ts';
import type { OrderSummariesRepository } from '../infrastructure/order-summaries-repository.ts';
import type { ProjectionStateRepository } from '../infrastructure/projection-state-repository.ts';

/** The order's payment was requested. */
export const onOrderingPaymentRequested = subscribe(
  PaymentRequested,
  ({ orderSummariesRepository, projectionStateRepository }: { orderSummariesRepository: OrderSummariesRepository; projectionStateRepository: ProjectionStateRepository }) =>
    async (event, trx) => {
      const { orderId, customerId } = event.payload;
      await orderSummariesRepository.apply({ orderId, occurredAt: event.occurredAt, customerId, paymentStatus: 'requested' }, trx);
      await projectionStateRepository.recordApplied(event.name, event.occurredAt, trx);
    },
);
