import { subscribe } from '#platform/events/subscription.ts';
import { PaymentDeclined } from '../../payments/contract.ts';
import type { OrderSummariesRepository } from '../infrastructure/order-summaries-repository.ts';
import type { ProjectionStateRepository } from '../infrastructure/projection-state-repository.ts';

/** The order's payment was declined. */
export const onPaymentsPaymentDeclined = subscribe(
  PaymentDeclined,
  ({ orderSummariesRepository, projectionStateRepository }: { orderSummariesRepository: OrderSummariesRepository; projectionStateRepository: ProjectionStateRepository }) =>
    async (event, trx) => {
      await orderSummariesRepository.apply({ orderId: event.payload.orderId, occurredAt: event.occurredAt, paymentStatus: 'declined' }, trx);
      await projectionStateRepository.recordApplied(event.name, event.occurredAt, trx);
    },
);
