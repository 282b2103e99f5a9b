import { beforeAll, describe, expect, it } from 'vitest';
import { useApp } from '#testing';
import { tokens } from '../support/test-app.ts';
import { matches, shop, type Headers, type HistoryEntry, type OrderView } from '../support/shop.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * GET /me/orders is a read model fed by events. For orders that took every path (confirmed, out of stock, payment
 * declined; one line and several), each customer's page converges on the write side (GET /orders/:id), shows only
 * that customer's orders, reports a freshness that moves forward, and picks up product renames.
 */

const app = useApp();
let s: ReturnType<typeof shop>;

interface Placed {
  customer: Headers;
  customerId: string;
  order: OrderView;
  /** What the page must show once the order has ended. */
  expected: { status: string; cancellationReason?: string; paymentStatus: string };
}

const placed: Placed[] = [];
const customers = [0, 1, 2].map(() => ({ customer: { authorization: '' }, customerId: '' }));
const names = new Map<string, string>();
let products: { mug: string; tea: string; scarce: string };

beforeAll(async () => {
  s = shop(app.app);
  for (const c of customers) Object.assign(c, tokens(app.app));
  const mug = await s.productInStock(100, { name: 'Read-model mug', priceCents: 1200 });
  const tea = await s.productInStock(100, { name: 'Read-model tea', priceCents: 350 });
  const scarce = await s.productInStock(1, { name: 'Read-model rarity', priceCents: 99_000 });
  for (const p of [mug, tea, scarce]) names.set(p.id, p.name);
  products = { mug: mug.id, tea: tea.id, scarce: scarce.id };

  // Every path, spread over three customers, placed concurrently.
  const plans: Array<[number, Record<string, unknown>, Placed['expected']]> = [
    [0, { lines: [{ productId: mug.id, quantity: 2 }] }, { status: 'confirmed', paymentStatus: 'captured' }],
    [0, { lines: [{ productId: mug.id, quantity: 1 }, { productId: tea.id, quantity: 4 }] }, { status: 'confirmed', paymentStatus: 'captured' }],
    [0, { lines: [{ productId: tea.id, quantity: 1 }], paymentMethod: 'tok_decline' }, { status: 'cancelled', cancellationReason: 'payment_declined', paymentStatus: 'declined' }],
    [1, { lines: [{ productId: scarce.id, quantity: 2 }] }, { status: 'cancelled', cancellationReason: 'out_of_stock', paymentStatus: 'none' }],
    [1, { lines: [{ productId: mug.id, quantity: 1 }, { productId: scarce.id, quantity: 5 }] }, { status: 'cancelled', cancellationReason: 'out_of_stock', paymentStatus: 'none' }],
    [1, { lines: [{ productId: tea.id, quantity: 3 }] }, { status: 'confirmed', paymentStatus: 'captured' }],
    [2, { lines: [{ productId: mug.id, quantity: 1 }, { productId: tea.id, quantity: 1 }], paymentMethod: 'tok_decline' }, { status: 'cancelled', cancellationReason: 'payment_declined', paymentStatus: 'declined' }],
    [2, { lines: [{ productId: tea.id, quantity: 2 }], paymentMethod: 'tok_visa' }, { status: 'confirmed', paymentStatus: 'captured' }],
  ];
  const orders = await Promise.all(plans.map(([who, body]) => s.placeOrder(customers[who]!.customer, body)));
  plans.forEach(([who, , expected], i) => placed.push({ ...customers[who]!, order: orders[i]!, expected }));
  // The write side first: every order has ended.
  for (const p of placed) p.order = await s.settled(p.order.id);
});


/** The page entry that mirrors the write side's order, product names as they are now. */
function mirrorOf(p: Placed): Partial<HistoryEntry> {
  return {
    orderId: p.order.id,
    status: p.order.status,
    ...(p.order.cancellationReason ? { cancellationReason: p.order.cancellationReason } : {}),
    totalCents: p.order.totalCents,
    currency: p.order.currency,
    placedAt: p.order.placedAt,
    paymentStatus: p.expected.paymentStatus as HistoryEntry['paymentStatus'],
    lines: p.order.lines.map((line) => ({ ...line, productName: names.get(line.productId)! })),
  };
}

/** Waits until every order of `of` shows on its customer's page as the write side has it, then asserts it exactly. */
async function expectConverged(of: Placed[], timeoutMs = 15_000): Promise<void> {
  const pages = new Map<string, HistoryEntry[]>();
  const entryOf = (p: Placed) => pages.get(p.customerId)?.find((entry) => entry.orderId === p.order.id);
  await waitFor(
    async () => {
      for (const c of new Set(of.map((p) => p.customerId))) pages.set(c, (await s.myOrders(of.find((p) => p.customerId === c)!.customer)).orders);
      return of.every((p) => matches(entryOf(p), mirrorOf(p)));
    },
    { timeoutMs, intervalMs: 50 },
  ).catch(() => undefined);
  for (const p of of) {
    const entry = entryOf(p);
    expect(entry, `order ${p.order.id} on /me/orders`).toMatchObject(mirrorOf(p));
    // Nothing more than what the write side says: no reason on a confirmed order.
    if (p.order.status !== 'cancelled') expect(entry).not.toHaveProperty('cancellationReason');
    expect(entry!.lines).toHaveLength(p.order.lines.length);
  }
}

describe('GET /me/orders', () => {
  it('converges on the write side for every order: status, reason, totals, lines with names, payment status', async () => {
    // Sanity: the write side ended each order where its path leads.
    for (const p of placed) expect({ status: p.order.status, cancellationReason: p.order.cancellationReason }).toEqual({ status: p.expected.status, cancellationReason: p.expected.cancellationReason });
    await expectConverged(placed);
  });

  it('shows each customer exactly their own orders, and a new customer none', async () => {
    await expectConverged(placed);
    for (const c of customers) {
      const ids = (await s.myOrders(c.customer)).orders.map((entry) => entry.orderId);
      const own = placed.filter((p) => p.customerId === c.customerId).map((p) => p.order.id);
      expect(new Set(ids)).toEqual(new Set(own));
      expect(ids).toHaveLength(own.length);
    }
    expect((await s.myOrders(tokens(app).customer)).orders).toEqual([]);
    // An admin token is a customer here too: its own orders (none), not everyone's.
    const admin = await app.inject({ method: 'GET', url: '/me/orders', headers: tokens(app).admin });
    expect(admin.json().orders).toEqual([]);
  });

  it('lists newest first and honours the limit', async () => {
    await expectConverged(placed);
    const c = customers[0]!;
    const all = (await s.myOrders(c.customer)).orders;
    const times = all.map((entry) => Date.parse(entry.placedAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const two = (await s.myOrders(c.customer, 2)).orders;
    expect(two.map((entry) => entry.orderId)).toEqual(all.slice(0, 2).map((entry) => entry.orderId));
  });

  it('reports a freshness that is present and moves forward as events arrive', async () => {
    await expectConverged(placed);
    const c = customers[2]!;
    const before = (await s.myOrders(c.customer)).freshness.lastEventAt;
    expect(before).not.toBeNull();
    expect(Number.isNaN(Date.parse(before!))).toBe(false);

    const order = await s.placeOrder(c.customer, { lines: [{ productId: products.mug, quantity: 1 }] });
    const next: Placed = { ...c, order: await s.settled(order.id), expected: { status: 'confirmed', paymentStatus: 'captured' } };
    placed.push(next);
    await expectConverged([next]);

    const after = (await s.myOrders(c.customer)).freshness.lastEventAt;
    expect(Date.parse(after!)).toBeGreaterThan(Date.parse(before!));
    // Freshness covers what the page shows: the newest change of any entry is not after it.
    const newest = Math.max(...(await s.myOrders(c.customer)).orders.map((entry) => Date.parse(entry.updatedAt)));
    expect(newest).toBeLessThanOrEqual(Date.parse(after!));
  });

  it('shows a product rename on existing orders, at the prices the orders were placed at', async () => {
    await expectConverged(placed);
    // Renamed and repriced at once: once the new name shows, the change has arrived, and the lines keep their prices.
    const response = await app.inject({ method: 'PATCH', url: `/catalog/products/${products.tea}`, headers: s.admin, payload: { name: 'Read-model green tea', priceCents: 1 } });
    expect(response.statusCode, response.body).toBe(200);
    names.set(products.tea, 'Read-model green tea');

    const withTea = placed.filter((p) => p.order.lines.some((line) => line.productId === products.tea));
    expect(withTea.length).toBeGreaterThan(2);
    await expectConverged(withTea);
    await expectConverged(placed);
  });
});
