import type { EventHandler } from '#platform/events/subscription.ts';
import type { OrderCancelled, OrderConfirmed, OrderPlaced } from '../../ordering/contract.ts';
import type { EventPayload } from '#platform/events/event-definition.ts';
import type { ReserveStock, SettleReservation } from './reservations.ts';

/** Subscription handlers: each hands the event to one use case, in the handler's transaction. */
export function makeOnOrderPlaced({ reserveStock }: { reserveStock: ReserveStock }): EventHandler<EventPayload<typeof OrderPlaced>> {
  return (event, trx) => reserveStock(event.payload, trx);
}

export function makeOnOrderConfirmed({ sellReservedStock }: { sellReservedStock: SettleReservation }): EventHandler<EventPayload<typeof OrderConfirmed>> {
  return (event, trx) => sellReservedStock(event.payload.orderId, trx);
}

export function makeOnOrderCancelled({ releaseReservedStock }: { releaseReservedStock: SettleReservation }): EventHandler<EventPayload<typeof OrderCancelled>> {
  return (event, trx) => releaseReservedStock(event.payload.orderId, trx);
}
