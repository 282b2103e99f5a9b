import { randomUUID } from 'node:crypto';
import type { Kysely, KyselyPlugin } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EventDefinition, EventPayload } from '#platform/events/event-definition.ts';
import { useModule } from '#testing';
import { tokens } from '../../../test/support/test-app.ts';
import { ProductChanged, ProductCreated } from '../../catalog/contract.ts';
import { OrderCancelled, OrderConfirmed, OrderPlaced, PaymentRequested } from '../../ordering/contract.ts';
import { PaymentCaptured, PaymentDeclined } from '../../payments/contract.ts';
import type { OrderHistoryTables } from '../infrastructure/order-history.table.ts';
import { makeOrderSummariesRepository } from '../infrastructure/order-summaries-repository.ts';

/**
 * The projection is driven by calling order-history's own subscription handlers with events shaped by the producers'
 * contracts, in a transaction on order-history's database, exactly as the event bus would; then the page is read
 * through the API. That pins down every arrival order, including the rare ones the real flow seldom produces.
 */

const app = useModule('order-history', { dependencies: 'stubbed' });
let db: Kysely<OrderHistoryTables>;
beforeAll(async () => {
  db = app.module('order-history').db<OrderHistoryTables>();
});

let clock = Date.now();
/** Strictly increasing event times, so "newest" is well defined within a test. */
const tick = () => new Date((clock += 1));

async function project<E extends EventDefinition>(event: E, payload: EventPayload<E>, occurredAt: Date = tick()): Promise<void> {
  event.assertValid(payload);
  const handler = app.module('order-history').handler(event);
  const afterCommit: Array<() => void> = [];
  await db.transaction().execute((trx) =>
    handler(
      { id: randomUUID(), name: event.name, version: event.version, key: event.key?.(payload) ?? null, payload, occurredAt, attempt: 1, afterCommit: (callback) => void afterCommit.push(callback) },
      trx,
    ),
  );
  for (const callback of afterCommit) callback();
}

interface OrderEntry {
  orderId: string;
  status: string;
  cancellationReason?: string;
  lines: Array<{ productId: string; productName: string | null; quantity: number; unitPriceCents: number }>;
  totalCents: number;
  currency: string;
  paymentStatus: string;
  placedAt: string;
  updatedAt: string;
}
interface Page {
  orders: OrderEntry[];
  freshness: { lastEventAt: string | null };
}

async function myOrders(customer: { authorization: string }, query: Record<string, string> = {}): Promise<Page> {
  const response = await app.inject({ method: 'GET', url: '/me/orders', headers: customer, query });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Page>();
}

/** An OrderPlaced (v2) payload; a line's name defaults to null, as in an order placed before v2 (upcast from v1). */
function placed(customerId: string, lines: Array<{ productId: string; productName?: string; quantity: number; unitPriceCents: number }>, placedAt = new Date(clock)) {
  return {
    orderId: randomUUID(),
    customerId,
    lines: lines.map((line) => ({ productName: null, ...line })),
    totalCents: lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0),
    currency: 'EUR',
    placedAt: placedAt.toISOString(),
  };
}

describe('GET /me/orders', () => {
  it('shows a confirmed order with its lines, product names, payment status and how fresh it is', async () => {
    const { customerId, customer } = tokens(app);
    const [mug, tea] = [randomUUID(), randomUUID()];
    await project(ProductCreated, { productId: mug, sku: `M-${mug.slice(0, 8)}`, name: 'Blue mug', priceCents: 1250, currency: 'EUR' });
    await project(ProductCreated, { productId: tea, sku: `T-${tea.slice(0, 8)}`, name: 'Green tea', priceCents: 300, currency: 'EUR' });
    const order = placed(customerId, [
      { productId: mug, quantity: 2, unitPriceCents: 1250 },
      { productId: tea, quantity: 1, unitPriceCents: 300 },
    ]);
    const placedAt = tick();
    order.placedAt = placedAt.toISOString();

    await project(OrderPlaced, order, placedAt);
    await project(PaymentRequested, { orderId: order.orderId, customerId, amountCents: 2800, currency: 'EUR' });
    await project(PaymentCaptured, { orderId: order.orderId, paymentId: randomUUID(), amountCents: 2800, currency: 'EUR' });
    const confirmedAt = tick();
    await project(OrderConfirmed, { orderId: order.orderId, customerId, totalCents: 2800, currency: 'EUR' }, confirmedAt);

    const page = await myOrders(customer);

    expect(page.orders).toEqual([
      {
        orderId: order.orderId,
        status: 'confirmed',
        lines: [
          { productId: mug, productName: 'Blue mug', quantity: 2, unitPriceCents: 1250 },
          { productId: tea, productName: 'Green tea', quantity: 1, unitPriceCents: 300 },
        ],
        totalCents: 2800,
        currency: 'EUR',
        paymentStatus: 'captured',
        placedAt: placedAt.toISOString(),
        updatedAt: confirmedAt.toISOString(),
      },
    ]);
    // Other tests share the read model, so the newest event may be theirs: at least ours.
    expect(page.freshness.lastEventAt).not.toBeNull();
    expect(new Date(page.freshness.lastEventAt!).getTime()).toBeGreaterThanOrEqual(confirmedAt.getTime());
  });

  it('shows a cancelled order with its reason, and its payment as requested then declined', async () => {
    const { customerId, customer } = tokens(app);
    const order = placed(customerId, [{ productId: randomUUID(), quantity: 1, unitPriceCents: 999 }]);
    await project(OrderPlaced, order);
    await project(PaymentRequested, { orderId: order.orderId, customerId, amountCents: 999, currency: 'EUR' });
    expect((await myOrders(customer)).orders[0]).toMatchObject({ status: 'pending', paymentStatus: 'requested' });

    await project(PaymentDeclined, { orderId: order.orderId, paymentId: randomUUID(), reason: 'card_declined' });
    await project(OrderCancelled, { orderId: order.orderId, customerId, reason: 'payment_declined' });

    const [entry] = (await myOrders(customer)).orders;
    expect(entry).toMatchObject({ orderId: order.orderId, status: 'cancelled', cancellationReason: 'payment_declined', paymentStatus: 'declined' });
  });

  it('shows a pending order without a cancellation reason and with no payment yet', async () => {
    const { customerId, customer } = tokens(app);
    const order = placed(customerId, [{ productId: randomUUID(), quantity: 3, unitPriceCents: 100 }]);
    await project(OrderPlaced, order);

    const [entry] = (await myOrders(customer)).orders;
    expect(entry).toMatchObject({ status: 'pending', paymentStatus: 'none', totalCents: 300 });
    expect(entry).not.toHaveProperty('cancellationReason');
  });

  it('lists the newest orders first and returns at most ?limit of them, 20 by default', async () => {
    const { customerId, customer } = tokens(app);
    const orders = [];
    for (let i = 0; i < 22; i++) {
      const order = placed(customerId, [{ productId: randomUUID(), quantity: 1, unitPriceCents: 100 + i }], tick());
      await project(OrderPlaced, order);
      orders.push(order.orderId);
    }
    const newestFirst = orders.toReversed();

    expect((await myOrders(customer, { limit: '2' })).orders.map((order) => order.orderId)).toEqual(newestFirst.slice(0, 2));
    expect((await myOrders(customer)).orders.map((order) => order.orderId)).toEqual(newestFirst.slice(0, 20));
    expect((await myOrders(customer, { limit: '100' })).orders).toHaveLength(22);
  });

  it("never shows another customer's orders", async () => {
    const alice = tokens(app);
    const bob = tokens(app);
    await project(OrderPlaced, placed(alice.customerId, [{ productId: randomUUID(), quantity: 1, unitPriceCents: 500 }]));

    expect((await myOrders(alice.customer)).orders).toHaveLength(1);
    expect((await myOrders(bob.customer)).orders).toEqual([]);
  });

  it('answers an empty list to a customer with no orders, still saying how fresh the read model is', async () => {
    await project(ProductCreated, { productId: randomUUID(), sku: 'FRESH-1', name: 'Anything', priceCents: 1, currency: 'EUR' });
    const page = await myOrders(tokens(app).customer);
    expect(page).toEqual({ orders: [], freshness: { lastEventAt: expect.any(String) } });
  });

  it('answers 401 problem+json without a token or with a bad one', async () => {
    const anonymous = await app.inject({ method: 'GET', url: '/me/orders' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toContain('application/problem+json');
    expect(anonymous.json().code).toBe('UNAUTHENTICATED');
    const forged = await app.inject({ method: 'GET', url: '/me/orders', headers: { authorization: 'Bearer not.a.token' } });
    expect(forged.statusCode).toBe(401);
  });

  it.each([['0'], ['101'], ['ten']])('answers 400 for limit=%s', async (limit) => {
    const response = await app.inject({ method: 'GET', url: '/me/orders', headers: tokens(app).customer, query: { limit } });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].field).toBe('querystring.limit');
  });
});

describe('events arriving out of order', () => {
  it('confirmation before placement: hidden until placed, then confirmed; the late OrderPlaced does not move it back to pending', async () => {
    const { customerId, customer } = tokens(app);
    const order = placed(customerId, [{ productId: randomUUID(), quantity: 1, unitPriceCents: 700 }]);
    const placedAt = tick();
    order.placedAt = placedAt.toISOString();
    const capturedAt = tick();
    const confirmedAt = tick();

    await project(PaymentCaptured, { orderId: order.orderId, paymentId: randomUUID(), amountCents: 700, currency: 'EUR' }, capturedAt);
    await project(OrderConfirmed, { orderId: order.orderId, customerId, totalCents: 700, currency: 'EUR' }, confirmedAt);
    expect((await myOrders(customer)).orders).toEqual([]);

    await project(OrderPlaced, order, placedAt);
    await project(PaymentRequested, { orderId: order.orderId, customerId, amountCents: 700, currency: 'EUR' }, tick());

    const [entry] = (await myOrders(customer)).orders;
    expect(entry).toMatchObject({
      orderId: order.orderId,
      status: 'confirmed',
      paymentStatus: 'captured',
      totalCents: 700,
      placedAt: placedAt.toISOString(),
      lines: [{ productId: order.lines[0]!.productId, productName: null, quantity: 1, unitPriceCents: 700 }],
    });
    // The newest event about the order, whatever order they came in.
    expect(new Date(entry!.updatedAt).getTime()).toBeGreaterThanOrEqual(confirmedAt.getTime());
  });

  it('keeps the first final status: a confirmation that comes after a cancellation does not override it', async () => {
    const { customerId, customer } = tokens(app);
    const order = placed(customerId, [{ productId: randomUUID(), quantity: 1, unitPriceCents: 100 }]);
    await project(OrderPlaced, order);
    await project(OrderCancelled, { orderId: order.orderId, customerId, reason: 'out_of_stock' });
    await project(OrderConfirmed, { orderId: order.orderId, customerId, totalCents: 100, currency: 'EUR' });

    expect((await myOrders(customer)).orders[0]).toMatchObject({ status: 'cancelled', cancellationReason: 'out_of_stock' });
  });

  it("a product's name that arrives after the order shows up on it, and later renames follow; an older name never wins", async () => {
    const { customerId, customer } = tokens(app);
    const productId = randomUUID();
    const order = placed(customerId, [{ productId, quantity: 1, unitPriceCents: 450 }]);
    await project(OrderPlaced, order);
    expect((await myOrders(customer)).orders[0]!.lines[0]!.productName).toBeNull();

    const createdAt = tick();
    await project(ProductCreated, { productId, sku: `L-${productId.slice(0, 8)}`, name: 'Late name', priceCents: 450, currency: 'EUR' }, createdAt);
    expect((await myOrders(customer)).orders[0]!.lines[0]!.productName).toBe('Late name');

    await project(ProductChanged, { productId, name: 'Renamed', priceCents: 450, currency: 'EUR' });
    // A stale copy of the creation (older than the rename) must not bring the old name back.
    await project(ProductCreated, { productId, sku: `L-${productId.slice(0, 8)}`, name: 'Late name', priceCents: 450, currency: 'EUR' }, createdAt);
    expect((await myOrders(customer)).orders[0]!.lines[0]!.productName).toBe('Renamed');
  });

  it("shows a line's name as ordered until the catalog's name for it arrives, then the catalog's current one", async () => {
    const { customerId, customer } = tokens(app);
    const productId = randomUUID();
    await project(OrderPlaced, placed(customerId, [{ productId, productName: 'Mug as ordered', quantity: 1, unitPriceCents: 450 }]));
    expect((await myOrders(customer)).orders[0]!.lines[0]!.productName).toBe('Mug as ordered');

    await project(ProductChanged, { productId, name: 'Mug renamed', priceCents: 450, currency: 'EUR' });
    expect((await myOrders(customer)).orders[0]!.lines[0]!.productName).toBe('Mug renamed');
  });

  it('applying the same events twice changes nothing', async () => {
    const { customerId, customer } = tokens(app);
    const order = placed(customerId, [{ productId: randomUUID(), quantity: 2, unitPriceCents: 50 }]);
    const placedAt = tick();
    for (let i = 0; i < 2; i++) {
      await project(OrderPlaced, order, placedAt);
      await project(PaymentDeclined, { orderId: order.orderId, paymentId: randomUUID(), reason: 'card_declined' });
    }

    const { orders } = await myOrders(customer);
    expect(orders).toHaveLength(1);
    expect(orders[0]!.lines).toHaveLength(1);
    expect(orders[0]).toMatchObject({ status: 'pending', paymentStatus: 'declined', totalCents: 100 });
  });
});

it('reads a page of orders, their lines, names and freshness in one SQL statement', async () => {
  const { customerId } = tokens(app);
  for (let i = 0; i < 3; i++) {
    await project(OrderPlaced, placed(customerId, [{ productId: randomUUID(), quantity: 1, unitPriceCents: 1 }, { productId: randomUUID(), quantity: 1, unitPriceCents: 2 }], tick()));
  }
  const statements: string[] = [];
  const counting: KyselyPlugin = {
    transformQuery: ({ node }) => {
      statements.push(node.kind);
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  const repository = makeOrderSummariesRepository({ db: db.withPlugin(counting) });

  const page = await repository.pageForCustomer(customerId, 20);

  expect(page.orders).toHaveLength(3);
  expect(page.orders.every((order) => order.lines.length === 2)).toBe(true);
  expect(statements).toEqual(['SelectQueryNode']);
});
