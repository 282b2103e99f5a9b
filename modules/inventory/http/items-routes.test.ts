import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useModule } from '#testing';
import { tokens } from '../../../test/support/test-app.ts';
import type { InventoryTables } from '../infrastructure/inventory.table.ts';

const app = useModule('inventory', { dependencies: 'stubbed' });
let admin: { authorization: string };
beforeAll(async () => {
  admin = tokens(app).admin;
});

const url = (productId: string) => `/inventory/items/${productId}`;

async function setStock(productId: string, onHand: number) {
  return app.inject({ method: 'PUT', url: url(productId), headers: admin, payload: { onHand } });
}

async function reserve(productId: string, quantity: number) {
  const db = app.module('inventory').db<InventoryTables>();
  const reserveStock = app.module('inventory').deps.reserveStock;
  await db.transaction().execute((trx) => reserveStock({ orderId: randomUUID(), lines: [{ productId, quantity }] }, trx));
}

describe('PUT /inventory/items/:productId', () => {
  it('creates the item with 201, a Location header and nothing reserved', async () => {
    const productId = randomUUID();
    const response = await setStock(productId, 7);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.headers.location).toBe(url(productId));
    expect(response.json()).toEqual({ productId, onHand: 7, reserved: 0, available: 7 });
  });

  it('answers 200 with the new level when the item exists, keeping what is reserved', async () => {
    const productId = randomUUID();
    await setStock(productId, 5);
    await reserve(productId, 2);
    const response = await setStock(productId, 9);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ productId, onHand: 9, reserved: 2, available: 7 });
  });

  it('accepts 0 and the 1e9 cap', async () => {
    expect((await setStock(randomUUID(), 0)).statusCode).toBe(201);
    expect((await setStock(randomUUID(), 1_000_000_000)).statusCode).toBe(201);
  });

  it('answers 409 STOCK_BELOW_RESERVED when on hand would drop below what orders hold, and changes nothing', async () => {
    const productId = randomUUID();
    await setStock(productId, 5);
    await reserve(productId, 4);
    const response = await setStock(productId, 3);
    expect(response.statusCode).toBe(409);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status: 409, code: 'STOCK_BELOW_RESERVED', productId, onHand: 3, reserved: 4 });
    const reread = await app.inject({ method: 'GET', url: url(productId) });
    expect(reread.json()).toEqual({ productId, onHand: 5, reserved: 4, available: 1 });
    expect((await setStock(productId, 4)).statusCode).toBe(200);
  });

  it.each([
    ['a negative count', { onHand: -1 }, 'body.onHand'],
    ['a fractional count', { onHand: 1.5 }, 'body.onHand'],
    ['a count given as a string', { onHand: '3' }, 'body.onHand'],
    ['a count over the cap', { onHand: 1_000_000_001 }, 'body.onHand'],
    ['a missing count', {}, 'body.onHand'],
    ['an unknown field', { onHand: 1, reserved: 0 }, 'body.reserved'],
  ])('answers 400 naming the field for %s', async (_case, payload, field) => {
    const response = await app.inject({ method: 'PUT', url: url(randomUUID()), headers: admin, payload });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().code).toBe('VALIDATION_FAILED');
    expect(response.json().errors.map((error: { field: string }) => error.field)).toContain(field);
  });

  it('answers 400 for a product id that is not a UUID', async () => {
    const response = await app.inject({ method: 'PUT', url: url('not-a-uuid'), headers: admin, payload: { onHand: 1 } });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].field).toBe('params.productId');
  });

  it('answers 400 for malformed JSON', async () => {
    const response = await app.inject({ method: 'PUT', url: url(randomUUID()), headers: { ...admin, 'content-type': 'application/json' }, payload: '{"onHand":' });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('MALFORMED_BODY');
  });

  it('answers 401 without a token and 403 to a customer, and sets nothing', async () => {
    const productId = randomUUID();
    const anonymous = await app.inject({ method: 'PUT', url: url(productId), payload: { onHand: 1 } });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().code).toBe('UNAUTHENTICATED');
    const customer = await app.inject({ method: 'PUT', url: url(productId), headers: tokens(app).customer, payload: { onHand: 1 } });
    expect(customer.statusCode).toBe(403);
    expect(customer.json().code).toBe('ADMIN_ROLE_REQUIRED');
    expect((await app.inject({ method: 'GET', url: url(productId) })).statusCode).toBe(404);
  });
});

describe('GET /inventory/items/:productId', () => {
  it('returns on hand, reserved and available to any caller', async () => {
    const productId = randomUUID();
    await setStock(productId, 10);
    await reserve(productId, 3);
    const response = await app.inject({ method: 'GET', url: url(productId) });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ productId, onHand: 10, reserved: 3, available: 7 });
  });

  it('answers 404 ITEM_NOT_FOUND for a product whose stock was never set', async () => {
    const productId = randomUUID();
    const response = await app.inject({ method: 'GET', url: url(productId) });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status: 404, code: 'ITEM_NOT_FOUND', productId });
  });

  it('answers 400 for a product id that is not a UUID', async () => {
    const response = await app.inject({ method: 'GET', url: url('42') });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].field).toBe('params.productId');
  });
});
