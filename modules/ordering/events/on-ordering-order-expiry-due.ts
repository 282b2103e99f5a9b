import { subscribe } from '#platform/events/subscription.ts';
import { OrderExpiryDue } from '../application/order-expiry.ts';
import type { OrderProcess } from '../application/order-process.ts';

/** The order's deadline has come: if it is still pending, it is cancelled as expired. */
export const onOrderingOrderExpiryDue = subscribe(OrderExpiryDue, ({ orderProcess }: { orderProcess: OrderProcess }) => async (event, trx) => {
  await orderProcess.advance(event.payload.orderId, 'ExpiryDue', trx, event.afterCommit);
});
