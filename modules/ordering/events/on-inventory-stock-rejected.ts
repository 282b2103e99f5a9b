import { subscribe } from '#platform/events/subscription.ts';
import { StockRejected } from '../../inventory/contract.ts';
import type { OrderProcess } from '../application/order-process.ts';

/** Not enough stock: the order is cancelled as out of stock. */
export const onInventoryStockRejected = subscribe(StockRejected, ({ orderProcess }: { orderProcess: OrderProcess }) => async (event, trx) => {
  await orderProcess.advance(event.payload.orderId, 'StockRejected', trx, event.afterCommit);
});
