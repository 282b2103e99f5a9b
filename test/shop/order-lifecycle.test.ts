import { expect, it } from 'vitest';
import { OrderCancelled, OrderConfirmed, OrderPlaced, PaymentRequested } from '../../modules/ordering/contract.ts';
import { useShop, type OrderView } from '../support/shop.ts';
import { tokens } from '../support/test-app.ts';

// The whole shop at work: ordering places the order, inventory and payments answer through their events, and the
// process manager settles it. Each test uses its own products, stock and customer. (Moved here from
// modules/ordering/application/.)
const { harness, fixtures } = useShop();

async function place(body: { lines: Array<{ productId: string; quantity: number }>; paymentMethod?: string }): Promise<OrderView> {
  return fixtures().placeOrder(tokens(harness.app).customer, body);
}

/** Waits for the order's outcome event, then reads it over HTTP. */
async function settled(order: OrderView, outcome: typeof OrderConfirmed | typeof OrderCancelled): Promise<OrderView> {
  await harness.scenario.stimulate(() => undefined).andWaitForEvent(outcome, (event) => event.orderId === order.id).toArriveWithin('15s');
  return fixtures().getOrder(order.id);
}

/** What ordering announced about an order, in order. */
async function announced(orderId: string): Promise<string[]> {
  const kinds = [OrderPlaced, PaymentRequested, OrderConfirmed, OrderCancelled] as const;
  const seen = await Promise.all(kinds.map(async (kind) => (await harness.scenario.published(kind)).filter((event) => event.payload.orderId === orderId).map(() => kind.name)));
  return seen.flat();
}

it('confirms an order whose stock is there and whose payment is captured, and the stock is sold', async () => {
  const teapot = await fixtures().productInStock(5, { priceCents: 1200 });
  const order = await place({ lines: [{ productId: teapot.id, quantity: 2 }], paymentMethod: 'tok_visa' });

  expect(await settled(order, OrderConfirmed)).toMatchObject({ status: 'confirmed' });
  expect(await announced(order.id)).toEqual(['ordering.OrderPlaced', 'ordering.PaymentRequested', 'ordering.OrderConfirmed']);
  await fixtures().expectStockEventually(teapot.id, { onHand: 3, reserved: 0, available: 3 });
});

it('cancels an order as out of stock when a line cannot be reserved, without asking for payment', async () => {
  const teapot = await fixtures().productInStock(5);
  const cup = await fixtures().productInStock(1);
  const order = await place({ lines: [{ productId: teapot.id, quantity: 1 }, { productId: cup.id, quantity: 2 }] });

  expect(await settled(order, OrderCancelled)).toEqual(expect.objectContaining({ status: 'cancelled', cancellationReason: 'out_of_stock' }));
  expect(await announced(order.id)).toEqual(['ordering.OrderPlaced', 'ordering.OrderCancelled']);
  expect(await fixtures().stockOf(teapot.id)).toMatchObject({ onHand: 5, reserved: 0 });
});

it('cancels an order whose payment is declined, and inventory releases what it had reserved', async () => {
  const teapot = await fixtures().productInStock(5);
  const order = await place({ lines: [{ productId: teapot.id, quantity: 4 }], paymentMethod: 'tok_decline' });

  expect(await settled(order, OrderCancelled)).toEqual(expect.objectContaining({ status: 'cancelled', cancellationReason: 'payment_declined' }));
  expect(await announced(order.id)).toEqual(['ordering.OrderPlaced', 'ordering.PaymentRequested', 'ordering.OrderCancelled']);
  await fixtures().expectStockEventually(teapot.id, { onHand: 5, reserved: 0, available: 5 });
});
