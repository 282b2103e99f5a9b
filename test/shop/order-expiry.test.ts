import { expect, it } from 'vitest';
import { OrderCancelled } from '../../modules/ordering/contract.ts';
import { awaitingPayment, useShop } from '../support/shop.ts';

// The whole shop in one app, with a payment provider that is down: payments keeps retrying, the order stays pending
// until its deadline, then expires and its stock is released. The test clock brings the deadline; nothing sleeps.
const { harness, fixtures } = useShop({
  overrides: {
    payments: {
      paymentProvider: () => ({
        chargesMade: 0,
        charge: async () => {
          throw new Error('payment provider unavailable');
        },
      }),
    },
  },
});

it('cancels an order as expired when payments never answers, releases its stock, and the history shows it', async () => {
  const { getOrder, stockOf, myOrders } = fixtures();
  const { orderId, productId, customer } = await awaitingPayment(harness, { onHand: 5, quantity: 2 });
  expect(await stockOf(productId)).toMatchObject({ onHand: 5, reserved: 2 });

  const cancelled = await harness.scenario
    .stimulate(() => harness.clock.advance('16m'))
    .andWaitForEvent(OrderCancelled, (event) => event.orderId === orderId)
    .toArriveWithin('10s');
  expect(cancelled.reason).toBe('expired');

  expect(await getOrder(orderId)).toMatchObject({ status: 'cancelled', cancellationReason: 'expired' });
  await harness.scenario
    .stimulate(() => undefined)
    .andWaitForStateChange(() => stockOf(productId), (stock) => stock.reserved === 0)
    .within('10s');
  expect(await stockOf(productId)).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
  const history = await harness.scenario
    .stimulate(() => undefined)
    .andWaitForStateChange(() => myOrders(customer), (page) => page.orders.some((entry) => entry.orderId === orderId && entry.status === 'cancelled'))
    .within('10s');
  expect(history.orders.find((entry) => entry.orderId === orderId)).toMatchObject({ status: 'cancelled', cancellationReason: 'expired' });
});
