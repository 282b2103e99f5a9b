import { subscribe } from '#platform/events/subscription.ts';
import { OrderPlaced } from '../../ordering/contract.ts';
import type { OrderSummariesRepository } from '../infrastructure/order-summaries-repository.ts';
import type { ProjectionStateRepository } from '../infrastructure/projection-state-repository.ts';

/**
 * An order was placed: its row, lines and total. Takes v2 of OrderPlaced, whose lines carry the product names as
 * quoted; an order placed before v2 arrives upcast, with null names, and shows the name from the catalog's events.
 */
export const onOrderingOrderPlaced = subscribe(
  OrderPlaced,
  ({ orderSummariesRepository, projectionStateRepository }: { orderSummariesRepository: OrderSummariesRepository; projectionStateRepository: ProjectionStateRepository }) =>
    async (event, trx) => {
      const { orderId, customerId, lines, totalCents, currency, placedAt } = event.payload;
      await orderSummariesRepository.apply({ orderId, occurredAt: event.occurredAt, customerId, status: 'pending', totalCents, currency, placedAt: new Date(placedAt) }, trx);
      await orderSummariesRepository.addLines(orderId, lines, trx);
      await projectionStateRepository.recordApplied(event.name, event.occurredAt, trx);
    },
);
