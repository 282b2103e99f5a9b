import type { Transaction } from 'kysely';
import type { EventPayload } from '#platform/events/event-definition.ts';
import type { DeliveredEvent } from '#platform/events/subscription.ts';
import type { ProductChanged, ProductCreated } from '../../catalog/contract.ts';
import type { OrderCancelled, OrderConfirmed, OrderPlaced, PaymentRequested } from '../../ordering/contract.ts';
import type { PaymentCaptured, PaymentDeclined } from '../../payments/contract.ts';
import type { OrderHistoryTables } from '../infrastructure/order-history.table.ts';
import type { OrderSummariesRepository } from '../infrastructure/order-summaries-repository.ts';
import type { ProductNamesRepository } from '../infrastructure/product-names-repository.ts';
import type { ProjectionStateRepository } from '../infrastructure/projection-state-repository.ts';

/**
 * The projection: one handler per event this read model copies from. Each one writes through the subscriber's
 * transaction, so its effect commits together with the record that the event was handled, and notes the event in
 * the projection state, which is what the page reports as its freshness.
 *
 * Events of one producer about one order arrive in order; events of different producers do not (a payment's outcome
 * can overtake the OrderPlaced it follows, a product's name can come after an order that lists it). So no handler
 * assumes another has run: each upserts, and statuses only move forward (see domain/order-summary.ts).
 */
export type ProjectionHandler<P> = (event: DeliveredEvent<P>, trx: Transaction<OrderHistoryTables>) => Promise<void>;

type OrderDeps = { orderSummariesRepository: OrderSummariesRepository; projectionStateRepository: ProjectionStateRepository };
type ProductDeps = { productNamesRepository: ProductNamesRepository; projectionStateRepository: ProjectionStateRepository };

export function makeOnOrderPlaced({ orderSummariesRepository, projectionStateRepository }: OrderDeps): ProjectionHandler<EventPayload<typeof OrderPlaced>> {
  return async (event, trx) => {
    const { orderId, customerId, lines, totalCents, currency, placedAt } = event.payload;
    await orderSummariesRepository.apply({ orderId, occurredAt: event.occurredAt, customerId, status: 'pending', totalCents, currency, placedAt: new Date(placedAt) }, trx);
    await orderSummariesRepository.addLines(orderId, lines, trx);
    await projectionStateRepository.recordApplied(event.name, event.occurredAt, trx);
  };
}

export function makeOnPaymentRequested({ orderSummariesRepository, projectionStateRepository }: OrderDeps): ProjectionHandler<EventPayload<typeof PaymentRequested>> {
  return async (event, trx) => {
    const { orderId, customerId } = event.payload;
    await orderSummariesRepository.apply({ orderId, occurredAt: event.occurredAt, customerId, paymentStatus: 'requested' }, trx);
    await projectionStateRepository.recordApplied(event.name, event.occurredAt, trx);
  };
}

export function makeOnOrderConfirmed({ orderSummariesRepository, projectionStateRepository }: OrderDeps): ProjectionHandler<EventPayload<typeof OrderConfirmed>> {
  return async (event, trx) => {
    const { orderId, customerId, totalCents, currency } = event.payload;
    await orderSummariesRepository.apply({ orderId, occurredAt: event.occurredAt, customerId, status: 'confirmed', totalCents, currency }, trx);
    await projectionStateRepository.recordApplied(event.name, event.occurredAt, trx);
  };
}

export function makeOnOrderCancelled({ orderSummariesRepository, projectionStateRepository }: OrderDeps): ProjectionHandler<EventPayload<typeof OrderCancelled>> {
  return async (event, trx) => {
    const { orderId, customerId, reason } = event.payload;
    await orderSummariesRepository.apply({ orderId, occurredAt: event.occurredAt, customerId, status: 'cancelled', cancellationReason: reason }, trx);
    await projectionStateRepository.recordApplied(event.name, event.occurredAt, trx);
  };
}

export function makeOnPaymentCaptured({ orderSummariesRepository, projectionStateRepository }: OrderDeps): ProjectionHandler<EventPayload<typeof PaymentCaptured>> {
  return async (event, trx) => {
    await orderSummariesRepository.apply({ orderId: event.payload.orderId, occurredAt: event.occurredAt, paymentStatus: 'captured' }, trx);
    await projectionStateRepository.recordApplied(event.name, event.occurredAt, trx);
  };
}

export function makeOnPaymentDeclined({ orderSummariesRepository, projectionStateRepository }: OrderDeps): ProjectionHandler<EventPayload<typeof PaymentDeclined>> {
  return async (event, trx) => {
    await orderSummariesRepository.apply({ orderId: event.payload.orderId, occurredAt: event.occurredAt, paymentStatus: 'declined' }, trx);
    await projectionStateRepository.recordApplied(event.name, event.occurredAt, trx);
  };
}

/** ProductCreated and ProductChanged both carry the name after the event; either one names the product. */
export function makeOnProductNamed({
  productNamesRepository,
  projectionStateRepository,
}: ProductDeps): ProjectionHandler<EventPayload<typeof ProductCreated> | EventPayload<typeof ProductChanged>> {
  return async (event, trx) => {
    await productNamesRepository.rename(event.payload.productId, event.payload.name, event.occurredAt, trx);
    await projectionStateRepository.recordApplied(event.name, event.occurredAt, trx);
  };
}
