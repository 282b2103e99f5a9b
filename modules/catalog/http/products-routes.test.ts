import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useModule } from '#testing';
import { tokens } from '../../../test/support/test-app.ts';

const app = useModule('catalog', { dependencies: 'real' });
let admin: { authorization: string };
beforeAll(async () => {
  admin = tokens(app).admin;
});

const uniqueSku = () => `SKU-${randomUUID().slice(0, 8)}`;
const validProduct = () => ({ sku: uniqueSku(), name: 'Blue mug', priceCents: 1250, currency: 'EUR' });

async function createProduct(body: Record<string, unknown> = validProduct()) {
  const response = await app.inject({ method: 'POST', url: '/catalog/products', headers: admin, payload: body });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string; sku: string; name: string; priceCents: number; currency: string }>();
}

describe('POST /catalog/products', () => {
  it('creates a product and answers 201 with a Location header and the product', async () => {
    const body = validProduct();
    const response = await app.inject({ method: 'POST', url: '/catalog/products', headers: admin, payload: body });
    expect(response.statusCode).toBe(201);
    const product = response.json();
    expect(product).toMatchObject(body);
    expect(product.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.location).toBe(`/catalog/products/${product.id}`);
  });

  it('answers 409 problem+json when the SKU is taken', async () => {
    const first = await createProduct();
    const response = await app.inject({ method: 'POST', url: '/catalog/products', headers: admin, payload: { ...validProduct(), sku: first.sku } });
    expect(response.statusCode).toBe(409);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status: 409, code: 'DUPLICATE_SKU', sku: first.sku });
  });

  it.each([
    ['a negative price', { priceCents: -1 }, 'body.priceCents'],
    ['a fractional price', { priceCents: 1.5 }, 'body.priceCents'],
    ['a price given as a string', { priceCents: '100' }, 'body.priceCents'],
    ['a lowercase currency', { currency: 'eur' }, 'body.currency'],
    ['a four-letter currency', { currency: 'EURO' }, 'body.currency'],
    ['an empty name', { name: '' }, 'body.name'],
    ['a 201-character name', { name: 'x'.repeat(201) }, 'body.name'],
    ['an unknown field', { colour: 'blue' }, 'body.colour'],
  ])('answers 400 naming the field for %s', async (_case, change, field) => {
    const response = await app.inject({ method: 'POST', url: '/catalog/products', headers: admin, payload: { ...validProduct(), ...change } });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    const body = response.json();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.errors.map((error: { field: string }) => error.field)).toContain(field);
  });

  it('accepts a 200-character name', async () => {
    await createProduct({ ...validProduct(), name: 'x'.repeat(200) });
  });

  it('answers 400 listing each missing field', async () => {
    const response = await app.inject({ method: 'POST', url: '/catalog/products', headers: admin, payload: {} });
    expect(response.statusCode).toBe(400);
    const fields = response.json().errors.map((error: { field: string }) => error.field).join(' ');
    for (const name of ['sku', 'name', 'priceCents', 'currency']) expect(fields).toContain(name);
  });

  it('answers 400 for malformed JSON and 415 for a non-JSON content type', async () => {
    const malformed = await app.inject({ method: 'POST', url: '/catalog/products', headers: { ...admin, 'content-type': 'application/json' }, payload: '{"sku":' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('MALFORMED_BODY');
    const text = await app.inject({ method: 'POST', url: '/catalog/products', headers: { ...admin, 'content-type': 'text/plain' }, payload: 'hello' });
    expect(text.statusCode).toBe(415);
    expect(text.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(text.json().detail).toContain('send the body as JSON, with the header content-type: application/json');
  });

  it('answers 405 with an Allow header to a method the products path does not take', async () => {
    const response = await app.inject({ method: 'DELETE', url: '/catalog/products', headers: admin });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD, POST');
    expect(response.json().code).toBe('METHOD_NOT_ALLOWED');
  });

  it('answers 413 for a body over the limit', async () => {
    const response = await app.inject({ method: 'POST', url: '/catalog/products', headers: admin, payload: { ...validProduct(), name: 'x'.repeat(2 * 1024 * 1024) } });
    expect(response.statusCode).toBe(413);
    expect(response.json().code).toBe('BODY_TOO_LARGE');
  });
});

describe('who may write the catalog', () => {
  it('answers 401 without a token and 403 to a customer, for create and change', async () => {
    const anonymous = await app.inject({ method: 'POST', url: '/catalog/products', payload: validProduct() });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().code).toBe('UNAUTHENTICATED');
    const customer = await app.inject({ method: 'POST', url: '/catalog/products', headers: tokens(app).customer, payload: validProduct() });
    expect(customer.statusCode).toBe(403);
    const created = await createProduct();
    const patch = await app.inject({ method: 'PATCH', url: `/catalog/products/${created.id}`, headers: tokens(app).customer, payload: { name: 'x' } });
    expect(patch.statusCode).toBe(403);
  });
});

describe('GET /catalog/products/:id', () => {
  it('returns the product', async () => {
    const created = await createProduct();
    const response = await app.inject({ method: 'GET', url: `/catalog/products/${created.id}` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject(created);
  });

  it('answers 404 problem+json for an unknown id', async () => {
    const id = randomUUID();
    const response = await app.inject({ method: 'GET', url: `/catalog/products/${id}` });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ status: 404, code: 'PRODUCT_NOT_FOUND', productId: id });
  });

  it('answers 400 for an id that is not a UUID', async () => {
    const response = await app.inject({ method: 'GET', url: '/catalog/products/not-a-uuid' });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].field).toBe('params.id');
  });
});

describe('GET /catalog/products', () => {
  it('walks every product exactly once, page by page, in creation order', async () => {
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await createProduct());
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const response = await app.inject({ method: 'GET', url: '/catalog/products', query: { limit: '2', ...(cursor ? { cursor } : {}) } });
      expect(response.statusCode).toBe(200);
      const page = response.json<{ items: Array<{ id: string }>; nextCursor?: string }>();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const positions = created.map((product) => seen.indexOf(product.id));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('uses a default limit of 20', async () => {
    for (let i = 0; i < 21; i++) await createProduct();
    const response = await app.inject({ method: 'GET', url: '/catalog/products' });
    expect(response.statusCode).toBe(200);
    expect(response.json().items).toHaveLength(20);
    expect(response.json().nextCursor).toEqual(expect.any(String));
  });

  it.each([['0'], ['101'], ['ten']])('answers 400 for limit=%s', async (limit) => {
    const response = await app.inject({ method: 'GET', url: '/catalog/products', query: { limit } });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].field).toBe('querystring.limit');
  });

  it('answers 400 INVALID_CURSOR for a cursor it did not issue', async () => {
    const response = await app.inject({ method: 'GET', url: '/catalog/products', query: { cursor: 'garbage' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('INVALID_CURSOR');
  });
});

describe('PATCH /catalog/products/:id', () => {
  it('changes the name and the price', async () => {
    const created = await createProduct();
    const response = await app.inject({ method: 'PATCH', url: `/catalog/products/${created.id}`, headers: admin, payload: { name: 'Red mug', priceCents: 990 } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: created.id, sku: created.sku, name: 'Red mug', priceCents: 990 });
    const reread = await app.inject({ method: 'GET', url: `/catalog/products/${created.id}` });
    expect(reread.json()).toMatchObject({ name: 'Red mug', priceCents: 990 });
  });

  it('answers 404 for an unknown product', async () => {
    const response = await app.inject({ method: 'PATCH', url: `/catalog/products/${randomUUID()}`, headers: admin, payload: { name: 'x' } });
    expect(response.statusCode).toBe(404);
  });

  it('answers 400 for an empty change or a field that cannot change', async () => {
    const created = await createProduct();
    const empty = await app.inject({ method: 'PATCH', url: `/catalog/products/${created.id}`, headers: admin, payload: {} });
    expect(empty.statusCode).toBe(400);
    const sku = await app.inject({ method: 'PATCH', url: `/catalog/products/${created.id}`, headers: admin, payload: { sku: 'NEW' } });
    expect(sku.statusCode).toBe(400);
    expect(sku.json().errors.map((error: { field: string }) => error.field)).toContain('body.sku');
  });
});
