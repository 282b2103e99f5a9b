import { beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { useApp } from '#testing';
import { tokens } from '../support/test-app.ts';
import { shop } from '../support/shop.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * POST /orders with an Idempotency-Key: concurrent retries place one order and all get it back; reusing a key for a
 * different order is refused; keys belong to their customer.
 */

const app = useApp();
let s: ReturnType<typeof shop>;
beforeAll(async () => {
  s = shop(app);
});

/** Orders of a customer in ordering's own table: read-only, the write side's count. */
async function ordersOf(customerId: string): Promise<string[]> {
  const db = app.module('ordering').db<unknown>();
  const { rows } = await sql<{ id: string }>`select id from orders where customer_id = ${customerId}`.execute(db);
  return rows.map((row) => row.id);
}

const post = (headers: Record<string, string>, payload: unknown) => app.inject({ method: 'POST', url: '/orders', headers, payload: payload as object });

it('10 concurrent requests with one key and one body: all 202 with the same order, and exactly one order exists', async () => {
  const { customer, customerId } = tokens(app);
  const product = await s.productInStock(20);
  const body = { lines: [{ productId: product.id, quantity: 2 }], paymentMethod: 'tok_ok' };
  const headers = { ...customer, 'idempotency-key': `key-${customerId}` };

  const responses = await Promise.all(Array.from({ length: 10 }, () => post(headers, body)));

  for (const response of responses) expect(response.statusCode, response.body).toBe(202);
  const ids = new Set(responses.map((response) => response.json<{ id: string }>().id));
  expect(ids.size).toBe(1);
  const [id] = ids;
  for (const response of responses) expect(response.headers.location).toBe(`/orders/${id}`);
  // One of them placed it; the others say they replayed it.
  expect(responses.filter((response) => response.headers['idempotent-replayed'] === 'true')).toHaveLength(9);

  expect(await ordersOf(customerId)).toEqual([id]);
  // The order is charged and sold once: 2 units leave the stock, not 20.
  expect((await s.settled(id!)).status).toBe('confirmed');
  await s.expectStockEventually(product.id, { onHand: 18, reserved: 0, available: 18 });
  // The customer's page converges on exactly one order too.
  await waitFor(async () => (await s.myOrders(customer)).orders.some((order) => order.orderId === id && order.status === 'confirmed'), { timeoutMs: 15_000 });
  expect((await s.myOrders(customer)).orders.map((order) => order.orderId)).toEqual([id]);

  // A retry after the order has ended still answers with it, unchanged in id.
  const late = await post(headers, body);
  expect(late.statusCode).toBe(202);
  expect(late.json()).toMatchObject({ id, status: 'confirmed' });
  expect(late.headers['idempotent-replayed']).toBe('true');
});

it('the same key with a different body is 422 IDEMPOTENCY_KEY_REUSED, and places nothing', async () => {
  const { customer, customerId } = tokens(app);
  const product = await s.productInStock(20);
  const headers = { ...customer, 'idempotency-key': 'reused' };
  const first = await post(headers, { lines: [{ productId: product.id, quantity: 1 }] });
  expect(first.statusCode).toBe(202);

  for (const different of [
    { lines: [{ productId: product.id, quantity: 2 }] },
    { lines: [{ productId: product.id, quantity: 1 }], paymentMethod: 'tok_decline' },
  ]) {
    const response = await post(headers, different);
    expect(response.statusCode, response.body).toBe(422);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
  }
  expect(await ordersOf(customerId)).toEqual([first.json().id]);
});

it('concurrent requests with one key but different bodies: one order, the others 202 with it or 422', async () => {
  const { customer, customerId } = tokens(app);
  const product = await s.productInStock(50);
  const headers = { ...customer, 'idempotency-key': 'racing-bodies' };

  const responses = await Promise.all(Array.from({ length: 6 }, (_, i) => post(headers, { lines: [{ productId: product.id, quantity: 1 + (i % 2) }] })));

  const orders = await ordersOf(customerId);
  expect(orders).toHaveLength(1);
  for (const response of responses) {
    expect([202, 422], response.body).toContain(response.statusCode);
    if (response.statusCode === 202) expect(response.json().id).toBe(orders[0]);
    else expect(response.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
  }
});

it('different customers use the same key independently: each gets an order of their own', async () => {
  const product = await s.productInStock(20);
  const customers = [tokens(app), tokens(app), tokens(app)];
  const body = { lines: [{ productId: product.id, quantity: 1 }] };

  const responses = await Promise.all(customers.map(({ customer }) => post({ ...customer, 'idempotency-key': 'shared-key' }, body)));

  for (const response of responses) {
    expect(response.statusCode, response.body).toBe(202);
    expect(response.headers['idempotent-replayed']).toBeUndefined();
  }
  const ids = responses.map((response) => response.json<{ id: string; customerId: string }>());
  expect(new Set(ids.map((order) => order.id)).size).toBe(3);
  expect(ids.map((order) => order.customerId)).toEqual(customers.map((c) => c.customerId));
  for (const [i, { customerId }] of customers.entries()) expect(await ordersOf(customerId)).toEqual([ids[i]!.id]);
  for (const order of ids) expect((await s.settled(order.id)).status).toBe('confirmed');
  await s.expectStockEventually(product.id, { onHand: 17, reserved: 0, available: 17 });
});

it('without a key, the same body twice places two orders', async () => {
  const { customer, customerId } = tokens(app);
  const product = await s.productInStock(20);
  const body = { lines: [{ productId: product.id, quantity: 1 }] };
  const [a, b] = [await post(customer, body), await post(customer, body)];
  expect(a.json().id).not.toBe(b.json().id);
  expect((await ordersOf(customerId)).sort()).toEqual([a.json().id, b.json().id].sort());
});
