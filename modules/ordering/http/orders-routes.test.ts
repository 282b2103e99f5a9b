import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { useModule } from '#testing';
import { tokens } from '../../../test/support/test-app.ts';
import type { OrderingTables } from '../infrastructure/orders.table.ts';

const app = useModule('ordering', { dependencies: 'real' });
let admin: { authorization: string };
let db: Kysely<OrderingTables>;
beforeAll(async () => {
  admin = tokens(app).admin;
  db = app.module('ordering').db<OrderingTables>();
});

async function createProduct(priceCents = 1250, currency = 'EUR') {
  const response = await app.inject({
    method: 'POST',
    url: '/catalog/products',
    headers: admin,
    payload: { sku: `ORD-${randomUUID().slice(0, 8)}`, name: 'Blue mug', priceCents, currency },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string; priceCents: number; currency: string }>();
}

/** A fresh customer with a bearer header of their own. */
function customer() {
  const { customerId, customer: headers } = tokens(app);
  return { customerId, headers };
}

function placeOrder(headers: Record<string, string>, payload: unknown) {
  return app.inject({ method: 'POST', url: '/orders', headers, payload: payload as object });
}

async function ordersOf(customerId: string) {
  return db.selectFrom('orders').select('id').where('customer_id', '=', customerId).execute();
}

async function publishedEvents(orderId: string) {
  const { rows } = await sql<{ name: string; version: number; payload: Record<string, unknown> }>`select name, version, payload from seams_outbox where key = ${orderId} order by xid, seq`.execute(db);
  return rows;
}

describe('POST /orders', () => {
  it('accepts the order as pending at the catalog prices, answers 202 with its Location, and announces it', async () => {
    const mug = await createProduct(1250);
    const plate = await createProduct(899);
    const { customerId, headers } = customer();

    const response = await placeOrder(headers, { lines: [{ productId: mug.id, quantity: 2 }, { productId: plate.id, quantity: 1 }], paymentMethod: 'tok_visa' });

    expect(response.statusCode, response.body).toBe(202);
    const placed = response.json();
    expect(placed).toMatchObject({
      status: 'pending',
      customerId,
      lines: [
        { productId: mug.id, quantity: 2, unitPriceCents: 1250 },
        { productId: plate.id, quantity: 1, unitPriceCents: 899 },
      ],
      totalCents: 3399,
      currency: 'EUR',
    });
    expect(placed.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(placed).not.toHaveProperty('paymentMethod');
    expect(response.headers.location).toBe(`/orders/${placed.id}`);
    expect(response.headers['idempotent-replayed']).toBeUndefined();

    // Announced as v2 of OrderPlaced: each line with the product's name as quoted.
    const events = await publishedEvents(placed.id);
    expect(events[0]).toEqual({
      name: 'ordering.OrderPlaced',
      version: 2,
      payload: {
        orderId: placed.id,
        customerId,
        lines: placed.lines.map((line: object) => ({ ...line, productName: 'Blue mug' })),
        totalCents: 3399,
        currency: 'EUR',
        placedAt: placed.placedAt,
      },
    });
    expect(events.filter((event) => event.name === 'ordering.OrderPlaced')).toHaveLength(1);
  });

  it('keeps the price of the moment the order was placed when the catalog price changes later', async () => {
    const mug = await createProduct(1000);
    const { headers } = customer();
    const placed = (await placeOrder(headers, { lines: [{ productId: mug.id, quantity: 3 }] })).json<{ id: string }>();

    await app.inject({ method: 'PATCH', url: `/catalog/products/${mug.id}`, headers: admin, payload: { priceCents: 5000 } });

    const order = (await app.inject({ method: 'GET', url: `/orders/${placed.id}`, headers })).json();
    expect(order).toMatchObject({ lines: [{ productId: mug.id, quantity: 3, unitPriceCents: 1000 }], totalCents: 3000 });
  });

  it('accepts a product id in upper case as the same product', async () => {
    const mug = await createProduct(700);
    const response = await placeOrder(customer().headers, { lines: [{ productId: mug.id.toUpperCase(), quantity: 1 }] });
    expect(response.statusCode, response.body).toBe(202);
    expect(response.json().lines).toEqual([{ productId: mug.id, quantity: 1, unitPriceCents: 700 }]);
  });

  const aUuid = randomUUID();
  it.each([
    ['no lines', { lines: [] }, 'body.lines'],
    ['no lines member', {}, 'body.lines'],
    ['101 lines', { lines: Array.from({ length: 101 }, () => ({ productId: aUuid, quantity: 1 })) }, 'body.lines'],
    ['a quantity of 0', { lines: [{ productId: aUuid, quantity: 1 }, { productId: aUuid, quantity: 0 }] }, 'body.lines.1.quantity'],
    ['a quantity of -1', { lines: [{ productId: aUuid, quantity: 1 }, { productId: aUuid, quantity: -1 }] }, 'body.lines.1.quantity'],
    ['a quantity of 1.5', { lines: [{ productId: aUuid, quantity: 1 }, { productId: aUuid, quantity: 1.5 }] }, 'body.lines.1.quantity'],
    ['a quantity of 10001', { lines: [{ productId: aUuid, quantity: 1 }, { productId: aUuid, quantity: 10_001 }] }, 'body.lines.1.quantity'],
    ['a huge quantity', { lines: [{ productId: aUuid, quantity: 1 }, { productId: aUuid, quantity: 1e15 }] }, 'body.lines.1.quantity'],
    ['a quantity given as a string', { lines: [{ productId: aUuid, quantity: 1 }, { productId: aUuid, quantity: '2' }] }, 'body.lines.1.quantity'],
    ['a missing quantity', { lines: [{ productId: aUuid, quantity: 1 }, { productId: aUuid }] }, 'body.lines.1.quantity'],
    ['a product id that is not a UUID', { lines: [{ productId: aUuid, quantity: 1 }, { productId: 'mug', quantity: 1 }] }, 'body.lines.1.productId'],
    ['an unknown field on a line', { lines: [{ productId: aUuid, quantity: 1 }, { productId: aUuid, quantity: 1, colour: 'blue' }] }, 'body.lines.1.colour'],
    ['an unknown field on the order', { lines: [{ productId: aUuid, quantity: 1 }], coupon: 'FREE' }, 'body.coupon'],
    ['an empty payment method', { lines: [{ productId: aUuid, quantity: 1 }], paymentMethod: '' }, 'body.paymentMethod'],
    ['a 101-character payment method', { lines: [{ productId: aUuid, quantity: 1 }], paymentMethod: 'x'.repeat(101) }, 'body.paymentMethod'],
  ])('answers 400 naming the field for %s, and saves nothing', async (_case, body, field) => {
    const { customerId, headers } = customer();
    const response = await placeOrder(headers, body);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().code).toBe('VALIDATION_FAILED');
    expect(response.json().errors.map((error: { field: string }) => error.field)).toContain(field);
    expect(await ordersOf(customerId)).toHaveLength(0);
  });

  it('answers 422 UNKNOWN_PRODUCTS naming each line whose product the catalog does not have, and saves nothing', async () => {
    const mug = await createProduct();
    const unknown = randomUUID();
    const { customerId, headers } = customer();

    const response = await placeOrder(headers, { lines: [{ productId: mug.id, quantity: 1 }, { productId: unknown, quantity: 1 }] });

    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({
      status: 422,
      code: 'UNKNOWN_PRODUCTS',
      lines: [1],
      errors: [{ field: 'body.lines.1.productId', message: `product ${unknown} does not exist` }],
    });
    expect(await ordersOf(customerId)).toHaveLength(0);
  });

  it('answers 422 DUPLICATE_PRODUCT naming the line that repeats a product', async () => {
    const mug = await createProduct();
    const plate = await createProduct();
    const response = await placeOrder(customer().headers, {
      lines: [{ productId: mug.id, quantity: 1 }, { productId: plate.id, quantity: 1 }, { productId: mug.id, quantity: 2 }],
    });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ code: 'DUPLICATE_PRODUCT', lines: [2], errors: [{ field: 'body.lines.2.productId' }] });
  });

  it('answers 422 MIXED_CURRENCIES naming the line in another currency', async () => {
    const euros = await createProduct(100, 'EUR');
    const pounds = await createProduct(100, 'GBP');
    const { customerId, headers } = customer();
    const response = await placeOrder(headers, { lines: [{ productId: euros.id, quantity: 1 }, { productId: pounds.id, quantity: 1 }] });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ code: 'MIXED_CURRENCIES', lines: [1], errors: [{ field: 'body.lines.1.productId', message: 'is priced in GBP, not EUR' }] });
    expect(await ordersOf(customerId)).toHaveLength(0);
  });

  it('answers 422 ORDER_TOTAL_TOO_LARGE when the total would not be an exact number', async () => {
    const products = [];
    for (let i = 0; i < 10; i++) products.push(await createProduct(100_000_000_000));
    const response = await placeOrder(customer().headers, { lines: products.map((product) => ({ productId: product.id, quantity: 10_000 })) });
    expect(response.statusCode, response.body).toBe(422);
    expect(response.json().code).toBe('ORDER_TOTAL_TOO_LARGE');
  });

  it('answers 400 for malformed JSON and 415 for a non-JSON content type', async () => {
    const { headers } = customer();
    const malformed = await app.inject({ method: 'POST', url: '/orders', headers: { ...headers, 'content-type': 'application/json' }, payload: '{"lines":[' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('MALFORMED_BODY');
    const text = await app.inject({ method: 'POST', url: '/orders', headers: { ...headers, 'content-type': 'text/plain' }, payload: 'two mugs' });
    expect(text.statusCode).toBe(415);
    expect(text.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 401 without a token or with a bad one, before looking at the body', async () => {
    const anonymous = await app.inject({ method: 'POST', url: '/orders', payload: { lines: [] } });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().code).toBe('UNAUTHENTICATED');
    const forged = await app.inject({ method: 'POST', url: '/orders', headers: { authorization: 'Bearer not.a.token' }, payload: { lines: [] } });
    expect(forged.statusCode).toBe(401);
  });
});

describe('POST /orders with an Idempotency-Key', () => {
  const linesOf = (productId: string, quantity = 1) => ({ lines: [{ productId, quantity }], paymentMethod: 'tok_visa' });

  it('answers a retry with the same order instead of placing a second one', async () => {
    const mug = await createProduct();
    const { customerId, headers } = customer();
    const withKey = { ...headers, 'idempotency-key': randomUUID() };

    const first = await placeOrder(withKey, linesOf(mug.id));
    const retry = await placeOrder(withKey, linesOf(mug.id));

    expect(first.statusCode).toBe(202);
    expect(retry.statusCode).toBe(202);
    expect(retry.json().id).toBe(first.json().id);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await ordersOf(customerId)).toHaveLength(1);
  });

  it('places exactly one order for ten concurrent requests with the same key', async () => {
    const mug = await createProduct();
    const { customerId, headers } = customer();
    const withKey = { ...headers, 'idempotency-key': `concurrent-${randomUUID()}` };

    const responses = await Promise.all(Array.from({ length: 10 }, () => placeOrder(withKey, linesOf(mug.id, 2))));

    expect(responses.map((response) => response.statusCode)).toEqual(Array(10).fill(202));
    const ids = new Set(responses.map((response) => response.json().id));
    expect(ids.size).toBe(1);
    const orders = await ordersOf(customerId);
    expect(orders).toHaveLength(1);
    expect(orders[0]!.id).toBe([...ids][0]);
    expect((await publishedEvents(orders[0]!.id)).filter((event) => event.name === 'ordering.OrderPlaced')).toHaveLength(1);
    expect(responses.filter((response) => response.headers['idempotent-replayed'] === 'true')).toHaveLength(9);
  });

  it('answers 422 IDEMPOTENCY_KEY_REUSED when the key comes back with a different order', async () => {
    const mug = await createProduct();
    const { customerId, headers } = customer();
    const withKey = { ...headers, 'idempotency-key': randomUUID() };
    await placeOrder(withKey, linesOf(mug.id, 1));

    const changed = await placeOrder(withKey, linesOf(mug.id, 5));
    const otherPayment = await placeOrder(withKey, { ...linesOf(mug.id, 1), paymentMethod: 'tok_other' });

    expect(changed.statusCode).toBe(422);
    expect(changed.headers['content-type']).toContain('application/problem+json');
    expect(changed.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(otherPayment.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await ordersOf(customerId)).toHaveLength(1);
  });

  it('keeps keys apart per customer: two customers using one key get an order each', async () => {
    const mug = await createProduct();
    const key = randomUUID();
    const first = await placeOrder({ ...customer().headers, 'idempotency-key': key }, linesOf(mug.id));
    const second = await placeOrder({ ...customer().headers, 'idempotency-key': key }, linesOf(mug.id));
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.json().id).not.toBe(first.json().id);
  });

  it('lets a key that came with a rejected request be used again', async () => {
    const mug = await createProduct();
    const { headers } = customer();
    const withKey = { ...headers, 'idempotency-key': randomUUID() };
    const rejected = await placeOrder(withKey, linesOf(randomUUID()));
    expect(rejected.statusCode).toBe(422);
    const accepted = await placeOrder(withKey, linesOf(mug.id));
    expect(accepted.statusCode).toBe(202);
  });

  it.each([
    ['empty', ''],
    ['201 characters long', 'k'.repeat(201)],
  ])('answers 400 for a key that is %s', async (_case, key) => {
    const response = await placeOrder({ ...customer().headers, 'idempotency-key': key }, linesOf(randomUUID()));
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((error: { field: string }) => error.field)).toContain('headers.idempotency-key');
  });
});

describe('GET /orders/:id', () => {
  async function placedOrder(headers: Record<string, string>) {
    const mug = await createProduct(450);
    const response = await placeOrder(headers, { lines: [{ productId: mug.id, quantity: 2 }] });
    expect(response.statusCode, response.body).toBe(202);
    return { order: response.json<{ id: string }>(), mug };
  }

  it("shows the customer their order with the catalog's prices", async () => {
    const { customerId, headers } = customer();
    const { order, mug } = await placedOrder(headers);

    const response = await app.inject({ method: 'GET', url: `/orders/${order.id}`, headers });

    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ id: order.id, customerId, lines: [{ productId: mug.id, quantity: 2, unitPriceCents: 450 }], totalCents: 900, currency: 'EUR' });
    // Inventory may already have answered by now; nothing else can have moved it.
    expect(['pending', 'cancelled', 'confirmed']).toContain(body.status);
    if (body.status === 'pending') expect(body).not.toHaveProperty('cancellationReason');
  });

  it("answers 404 to another customer, exactly as for an order that does not exist", async () => {
    const { order } = await placedOrder(customer().headers);

    const someoneElse = await app.inject({ method: 'GET', url: `/orders/${order.id}`, headers: customer().headers });

    expect(someoneElse.statusCode).toBe(404);
    expect(someoneElse.headers['content-type']).toContain('application/problem+json');
    expect(someoneElse.json()).toMatchObject({ code: 'ORDER_NOT_FOUND', orderId: order.id });
  });

  it('shows any order to an admin', async () => {
    const { customerId, headers } = customer();
    const { order } = await placedOrder(headers);
    const response = await app.inject({ method: 'GET', url: `/orders/${order.id}`, headers: admin });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: order.id, customerId });
  });

  it('answers 404 ORDER_NOT_FOUND for an unknown id and 400 for an id that is not a UUID', async () => {
    const id = randomUUID();
    const unknown = await app.inject({ method: 'GET', url: `/orders/${id}`, headers: customer().headers });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ status: 404, code: 'ORDER_NOT_FOUND', orderId: id });
    const malformed = await app.inject({ method: 'GET', url: '/orders/42', headers: customer().headers });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().errors[0].field).toBe('params.id');
  });

  it('answers 401 without a token or with a bad one', async () => {
    const anonymous = await app.inject({ method: 'GET', url: `/orders/${randomUUID()}` });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().code).toBe('UNAUTHENTICATED');
    const forged = await app.inject({ method: 'GET', url: `/orders/${randomUUID()}`, headers: { authorization: 'Bearer not.a.token' } });
    expect(forged.statusCode).toBe(401);
  });
});
