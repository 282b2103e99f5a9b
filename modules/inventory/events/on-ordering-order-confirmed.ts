import { subscribe } from '#platform/events/subscription.ts';
import { OrderConfirmed } from '../../ordering/contract.ts';
import type { SettleReservation } from '../application/reservations.ts';

/** The order is confirmed: what it reserved is sold. */
export const onOrderingOrderConfirmed = subscribe(
  OrderConfirmed,
  ({ sellReservedStock }: { sellReservedStock: SettleReservation }) =>
    (event, trx) =>
      sellReservedStock(event.payload.orderId, trx),
);
