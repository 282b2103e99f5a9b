import { subscribe } from '#platform/events/subscription.ts';
import { OrderCancelled } from '../../ordering/contract.ts';
import type { OrderSummariesRepository } from '../infrastructure/order-summaries-repository.ts';
import type { ProjectionStateRepository } from '../infrastructure/projection-state-repository.ts';

/** The order is cancelled, with the reason. */
export const onOrderingOrderCancelled = subscribe(
  OrderCancelled,
  ({ orderSummariesRepository, projectionStateRepository }: { orderSummariesRepository: OrderSummariesRepository; projectionStateRepository: ProjectionStateRepository }) =>
    async (event, trx) => {
      const { orderId, customerId, reason } = event.payload;
      await orderSummariesRepository.apply({ orderId, occurredAt: event.occurredAt, customerId, status: 'cancelled', cancellationReason: reason }, trx);
      await projectionStateRepository.recordApplied(event.name, event.occurredAt, trx);
    },
);
