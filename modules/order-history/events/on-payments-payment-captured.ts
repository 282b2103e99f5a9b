import { subscribe } from '#platform/events/subscription.ts';
import { PaymentCaptured } from '../../payments/contract.ts';
import type { OrderSummariesRepository } from '../infrastructure/order-summaries-repository.ts';
import type { ProjectionStateRepository } from '../infrastructure/projection-state-repository.ts';

/** The order's payment was captured. */
export const onPaymentsPaymentCaptured = subscribe(
  PaymentCaptured,
  ({ orderSummariesRepository, projectionStateRepository }: { orderSummariesRepository: OrderSummariesRepository; projectionStateRepository: ProjectionStateRepository }) =>
    async (event, trx) => {
      await orderSummariesRepository.apply({ orderId: event.payload.orderId, occurredAt: event.occurredAt, paymentStatus: 'captured' }, trx);
      await projectionStateRepository.recordApplied(event.name, event.occurredAt, trx);
    },
);
