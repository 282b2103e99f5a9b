import { subscribe } from '#platform/events/subscription.ts';
import { PaymentDeclined } from '../../payments/contract.ts';
import type { OrderProcess } from '../application/order-process.ts';

/** Not paid: the order is cancelled, which tells inventory to release its stock. */
export const onPaymentsPaymentDeclined = subscribe(PaymentDeclined, ({ orderProcess }: { orderProcess: OrderProcess }) => async (event, trx) => {
  await orderProcess.advance(event.payload.orderId, 'PaymentDeclined', trx, event.afterCommit);
});
