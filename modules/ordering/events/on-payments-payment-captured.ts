import { subscribe } from '#platform/events/subscription.ts';
import { PaymentCaptured } from '../../payments/contract.ts';
import type { OrderProcess } from '../application/order-process.ts';

/** Paid: the order is confirmed. */
export const onPaymentsPaymentCaptured = subscribe(PaymentCaptured, ({ orderProcess }: { orderProcess: OrderProcess }) => async (event, trx) => {
  await orderProcess.advance(event.payload.orderId, 'PaymentCaptured', trx, event.afterCommit);
});
