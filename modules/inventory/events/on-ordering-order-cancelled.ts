import { subscribe } from '#platform/events/subscription.ts';
import { OrderCancelled } from '../../ordering/contract.ts';
import type { SettleReservation } from '../application/reservations.ts';

/** The order is cancelled: whatever it still holds is released. */
export const onOrderingOrderCancelled = subscribe(
  OrderCancelled,
  ({ releaseReservedStock }: { releaseReservedStock: SettleReservation }) =>
    (event, trx) =>
      releaseReservedStock(event.payload.orderId, trx),
);
