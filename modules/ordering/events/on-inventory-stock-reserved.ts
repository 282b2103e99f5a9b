import { subscribe } from '#platform/events/subscription.ts';
import { StockReserved } from '../../inventory/contract.ts';
import type { OrderProcess } from '../application/order-process.ts';

/** Stock is held for the order: ordering asks payments to charge it. */
export const onInventoryStockReserved = subscribe(StockReserved, ({ orderProcess }: { orderProcess: OrderProcess }) => async (event, trx) => {
  await orderProcess.advance(event.payload.orderId, 'StockReserved', trx, event.afterCommit);
});
