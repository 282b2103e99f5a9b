import { afterAll, describe, expect, it } from 'vitest';
import { useApp } from '#testing';
import { OrderCancelled } from '../../modules/ordering/contract.ts';
import { TEST_SERVICE_TOKEN } from '../support/nats-apps.ts';
import { natsForTests } from '../support/nats-server.ts';
import { awaitingPayment, shop } from '../support/shop.ts';

// The shop with payments extracted and unreachable: MODULES without payments, REMOTE_MODULES pointing nowhere.
// PaymentRequested leaves over NATS and nobody answers; the order's deadline (on the test clock) cancels it.
const nats = await natsForTests({ own: true });
afterAll(() => nats.stop());

describe.skipIf(nats.skipped !== undefined)(`payments remote and unreachable${nats.skipped ? ` (skipped: ${nats.skipped})` : ''}`, () => {
  const harness = useApp({
    env: {
      MODULES: 'catalog,inventory,ordering,order-history',
      REMOTE_MODULES: 'payments=http://127.0.0.1:9',
      SERVICE_TOKEN: TEST_SERVICE_TOKEN,
      NATS_URL: nats.url ?? '',
    },
  });

  it('expires the pending order and releases its stock', async () => {
    expect(harness.running).not.toContain('payments');
    const { getOrder, stockOf } = shop(harness.app);
    const { orderId, productId } = await awaitingPayment(harness, { onHand: 4, quantity: 3 });
    expect(await getOrder(orderId)).toMatchObject({ status: 'pending' });

    const cancelled = await harness.scenario
      .stimulate(() => harness.clock.advance('15m'))
      .andWaitForEvent(OrderCancelled, (event) => event.orderId === orderId)
      .toArriveWithin('10s');
    expect(cancelled).toMatchObject({ orderId, reason: 'expired' });
    expect(await getOrder(orderId)).toMatchObject({ status: 'cancelled', cancellationReason: 'expired' });
    const stock = await harness.scenario
      .stimulate(() => undefined)
      .andWaitForStateChange(() => stockOf(productId), (now) => now.reserved === 0)
      .within('10s');
    expect(stock).toMatchObject({ onHand: 4, reserved: 0, available: 4 });
  });
});
