import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import { buildTestApp, tokens } from '../../../test/support/test-app.ts';
import { waitFor } from '../../../test/support/wait-for.ts';
import type { OrderingTables } from '../infrastructure/orders.table.ts';

// The whole shop at work: ordering places the order, inventory and payments answer through their events, and the
// process manager settles it. Each test uses its own products, stock and customer.
let app: ModuleRouter;
let admin: { authorization: string };
let db: Kysely<OrderingTables>;
beforeAll(async () => {
  app = await buildTestApp();
  await app.ready();
  admin = tokens(app).admin;
  db = app.diContainer.resolve<Kysely<OrderingTables>>('ordering/db');
});
afterAll(async () => {
  await app.close();
});

async function productInStock(onHand: number, priceCents = 1200) {
  const created = await app.inject({
    method: 'POST',
    url: '/catalog/products',
    headers: admin,
    payload: { sku: `LIFE-${randomUUID().slice(0, 8)}`, name: 'Teapot', priceCents, currency: 'EUR' },
  });
  expect(created.statusCode, created.body).toBe(201);
  const product = created.json<{ id: string }>();
  const stocked = await app.inject({ method: 'PUT', url: `/inventory/items/${product.id}`, headers: admin, payload: { onHand } });
  expect(stocked.statusCode, stocked.body).toBe(201);
  return product;
}

async function place(body: { lines: Array<{ productId: string; quantity: number }>; paymentMethod?: string }) {
  const { customer } = tokens(app);
  const response = await app.inject({ method: 'POST', url: '/orders', headers: customer, payload: body });
  expect(response.statusCode, response.body).toBe(202);
  return { id: response.json<{ id: string }>().id, headers: customer };
}

async function settled(order: { id: string; headers: Record<string, string> }) {
  let body: { status: string; cancellationReason?: string } = { status: 'pending' };
  await waitFor(
    async () => {
      body = (await app.inject({ method: 'GET', url: `/orders/${order.id}`, headers: order.headers })).json();
      return body.status !== 'pending';
    },
    { message: `order ${order.id} was still pending` },
  );
  return body;
}

async function stockOf(productId: string) {
  return (await app.inject({ method: 'GET', url: `/inventory/items/${productId}` })).json<{ onHand: number; reserved: number; available: number }>();
}

async function announced(orderId: string) {
  const { rows } = await sql<{ name: string }>`select name from seams_outbox where key = ${orderId} order by xid, seq`.execute(db);
  return rows.map((row) => row.name);
}

it('confirms an order whose stock is there and whose payment is captured, and the stock is sold', async () => {
  const teapot = await productInStock(5);
  const order = await place({ lines: [{ productId: teapot.id, quantity: 2 }], paymentMethod: 'tok_visa' });

  expect(await settled(order)).toMatchObject({ status: 'confirmed' });
  expect(await announced(order.id)).toEqual(['ordering.OrderPlaced', 'ordering.PaymentRequested', 'ordering.OrderConfirmed']);
  await waitFor(async () => (await stockOf(teapot.id)).onHand === 3);
  expect(await stockOf(teapot.id)).toMatchObject({ onHand: 3, reserved: 0, available: 3 });
});

it('cancels an order as out of stock when a line cannot be reserved, without asking for payment', async () => {
  const teapot = await productInStock(5);
  const cup = await productInStock(1);
  const order = await place({ lines: [{ productId: teapot.id, quantity: 1 }, { productId: cup.id, quantity: 2 }] });

  expect(await settled(order)).toEqual(expect.objectContaining({ status: 'cancelled', cancellationReason: 'out_of_stock' }));
  expect(await announced(order.id)).toEqual(['ordering.OrderPlaced', 'ordering.OrderCancelled']);
  expect(await stockOf(teapot.id)).toMatchObject({ onHand: 5, reserved: 0 });
});

it('cancels an order whose payment is declined, and inventory releases what it had reserved', async () => {
  const teapot = await productInStock(5);
  const order = await place({ lines: [{ productId: teapot.id, quantity: 4 }], paymentMethod: 'tok_decline' });

  expect(await settled(order)).toEqual(expect.objectContaining({ status: 'cancelled', cancellationReason: 'payment_declined' }));
  expect(await announced(order.id)).toEqual(['ordering.OrderPlaced', 'ordering.PaymentRequested', 'ordering.OrderCancelled']);
  await waitFor(async () => (await stockOf(teapot.id)).reserved === 0, { message: 'the reservation was not released' });
  expect(await stockOf(teapot.id)).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
});
