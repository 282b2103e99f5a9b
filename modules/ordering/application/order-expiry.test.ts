import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { useModule } from '#testing';
import { StockReserved } from '../../inventory/contract.ts';
import { PaymentCaptured } from '../../payments/contract.ts';
import { OrderCancelled, OrderPlaced, PaymentRequested } from '../contract.ts';

// Ordering alone, with catalog, inventory and payments as stubs of their contracts: the order's deadline is the
// only thing that moves it once payment has been requested, and the test clock makes it come.
const ordering = useModule('ordering', { dependencies: 'stubbed' });

async function pendingOrderAwaitingPayment() {
  const productId = randomUUID();
  ordering.stubs.catalog.getProducts.answers(({ ids }) => ({
    products: ids.map((id) => ({ id, sku: 'MUG', name: 'Mug', priceCents: 900, currency: 'EUR' })),
    missing: [],
  }));
  const order = await ordering.deps.placeOrder({ customerId: 'customer-1', lines: [{ productId, quantity: 1 }], paymentMethod: 'tok_visa' });
  const orderId = order.order.id;
  await ordering.scenario
    .publish(StockReserved, { orderId })
    .andWaitForEvent(PaymentRequested, (event) => event.orderId === orderId)
    .toArriveWithin('5s');
  return orderId;
}

describe('order expiry in a one-module boot', () => {
  it('cancels a pending order as expired once ORDER_PENDING_TIMEOUT_MS has passed on the clock', async () => {
    const orderId = await pendingOrderAwaitingPayment();
    await ordering.scenario.expectPublished(OrderPlaced, (event) => event.orderId === orderId);

    // Not a moment before its deadline: 14 minutes on, the order is still pending.
    ordering.clock.advance('14m');
    await ordering.scenario.expectNotPublished(OrderCancelled, (event) => event.orderId === orderId);
    expect((await ordering.deps.ordersRepository.findById(orderId))?.status).toBe('pending');

    const cancelled = await ordering.scenario
      .stimulate(() => ordering.clock.advance('2m'))
      .andWaitForEvent(OrderCancelled, (event) => event.orderId === orderId)
      .toArriveWithin('5s');
    expect(cancelled).toEqual({ orderId, customerId: 'customer-1', reason: 'expired' });
    expect(await ordering.deps.ordersRepository.findById(orderId)).toMatchObject({ status: 'cancelled', cancellationReason: 'expired' });
  });

  it('lets a late payment result change nothing about an expired order, and logs it once', async () => {
    const orderId = await pendingOrderAwaitingPayment();
    await ordering.scenario.stimulate(() => ordering.clock.advance('16m')).andWaitForEvent(OrderCancelled, (event) => event.orderId === orderId);
    const warn = vi.spyOn(ordering.logger, 'warn');
    try {
      await ordering.scenario
        .publish(PaymentCaptured, { orderId, paymentId: randomUUID(), amountCents: 900, currency: 'EUR' })
        .andWaitForStateChange(() => warn.mock.calls.filter(([, message]) => String(message).includes('already expired')).length, (count) => count > 0);
      expect(await ordering.deps.ordersRepository.findById(orderId)).toMatchObject({ status: 'cancelled', cancellationReason: 'expired' });
      const lines = warn.mock.calls.filter(([, message]) => String(message).includes('already expired'));
      expect(lines).toEqual([[{ orderId, fact: 'PaymentCaptured' }, 'a late answer for an order that had already expired; it changes nothing']]);
    } finally {
      warn.mockRestore();
    }
    await ordering.scenario.expectNotPublished(OrderCancelled, (event) => event.orderId === orderId && event.reason !== 'expired');
  });

  it('leaves a confirmed order alone when its deadline comes', async () => {
    const orderId = await pendingOrderAwaitingPayment();
    await ordering.scenario
      .publish(PaymentCaptured, { orderId, paymentId: randomUUID(), amountCents: 900, currency: 'EUR' })
      .andWaitForStateChange(() => ordering.deps.ordersRepository.findById(orderId), (order) => order?.status === 'confirmed');
    await ordering.scenario
      .stimulate(() => ordering.clock.advance('16m'))
      .andWaitForStateChange(() => ordering.deps.ordersRepository.findById(orderId), (order) => order?.status === 'confirmed');
    await ordering.scenario.expectNotPublished(OrderCancelled, (event) => event.orderId === orderId);
  });
});
