import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApp } from '#testing';
import { OrderCancelled } from '../../modules/ordering/contract.ts';
import { awaitingPayment, shop } from '../support/shop.ts';
import { isolatedDatabase } from '../support/test-app.ts';

// The deadline is an outbox event with a due time: it outlives the process that set it, and when two instances share
// the database, exactly one of them expires the order.
const paymentsDown = {
  payments: {
    paymentProvider: () => ({
      chargesMade: 0,
      charge: async () => {
        throw new Error('payment provider unavailable');
      },
    }),
  },
};

let database: { url: string; drop: () => Promise<void> };
beforeAll(async () => {
  database = await isolatedDatabase();
});
afterAll(async () => {
  await database.drop();
});

it('expires an order after a restart: the deadline was set by the instance that stopped', async () => {
  const first = await startApp({ databaseUrl: database.url, overrides: paymentsDown });
  const { orderId } = await awaitingPayment(first, { onHand: 3, quantity: 1 });
  await first.close();

  const second = await startApp({ databaseUrl: database.url, overrides: paymentsDown });
  try {
    await second.scenario.mark();
    const cancelled = await second.scenario
      .stimulate(() => second.clock.advance('16m'))
      .andWaitForEvent(OrderCancelled, (event) => event.orderId === orderId)
      .toArriveWithin('10s');
    expect(cancelled.reason).toBe('expired');
  } finally {
    await second.close();
  }
});

it('expires an order once when two instances share the database and both see the deadline', async () => {
  const [one, two] = await Promise.all([startApp({ databaseUrl: database.url, overrides: paymentsDown }), startApp({ databaseUrl: database.url, overrides: paymentsDown })]);
  try {
    await one.scenario.mark();
    const { orderId, productId } = await awaitingPayment(one, { onHand: 3, quantity: 1 });
    await one.scenario
      .stimulate(() => {
        two.clock.advance('16m');
        one.clock.advance('16m');
      })
      .andWaitForEvent(OrderCancelled, (event) => event.orderId === orderId)
      .toArriveWithin('10s');
    // Both instances run the deadline's subscription; the advisory lock and the inbox let one of them handle it.
    await one.scenario
      .stimulate(() => undefined)
      .andWaitForStateChange(() => shop(one.app).stockOf(productId), (stock) => stock.reserved === 0)
      .within('10s');
    const cancellations = (await one.scenario.published(OrderCancelled)).filter((event) => event.payload.orderId === orderId);
    expect(cancellations.map((event) => event.payload.reason)).toEqual(['expired']);
  } finally {
    await Promise.all([one.close(), two.close()]);
  }
});
