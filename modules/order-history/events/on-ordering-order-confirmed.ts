import { subscribe } from '#platform/events/subscription.ts';
import { OrderConfirmed } from '../../ordering/contract.ts';
import type { OrderSummariesRepository } from '../infrastructure/order-summaries-repository.ts';
import type { ProjectionStateRepository } from '../infrastructure/projection-state-repository.ts';

/** The order is confirmed, with its final total. */
export const onOrderingOrderConfirmed = subscribe(
  OrderConfirmed,
  ({ orderSummariesRepository, projectionStateRepository }: { orderSummariesRepository: OrderSummariesRepository; projectionStateRepository: ProjectionStateRepository }) =>
    async (event, trx) => {
      const { orderId, customerId, totalCents, currency } = event.payload;
      await orderSummariesRepository.apply({ orderId, occurredAt: event.occurredAt, customerId, status: 'confirmed', totalCents, currency }, trx);
      await projectionStateRepository.recordApplied(event.name, event.occurredAt, trx);
    },
);
