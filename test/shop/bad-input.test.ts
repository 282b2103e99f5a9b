import { createHmac, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useApp } from '#testing';
import { TEST_JWT_SECRET, tokens } from '../support/test-app.ts';
import { shop } from '../support/shop.ts';

/**
 * Every route of the shop against bad input: wrong types, missing and unknown fields, huge numbers, malformed JSON,
 * other content types, oversized bodies, bad ids and query strings, missing or bad tokens. Each must be answered as a
 * client error in problem+json with a stable `code`, never a 500. Table-driven: one row per request.
 */

const INVALID = [400, 422];
const MEDIA = [400, 415];
const TOO_LARGE = [400, 413];
const UNAUTHENTICATED = [401];

const app = useApp();
let admin: { authorization: string };
let customer: { authorization: string };
let productId: string;
let otherCurrencyProductId: string;
beforeAll(async () => {
  ({ admin, customer } = tokens(app));
  const s = shop(app);
  productId = (await s.productInStock(5)).id;
  otherCurrencyProductId = (await s.createProduct({ currency: 'USD' })).id;
});

type Who = 'admin' | 'customer' | 'nobody';
interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  /** A function, because some URLs need ids made in beforeAll. */
  url: () => string;
  who: Who;
  /** An object is sent as JSON; a string is sent as is, with `contentType` (JSON unless given). */
  payload?: () => unknown;
  contentType?: string;
  headers?: Record<string, string>;
  expected: number[];
}

const validProduct = () => ({ sku: `BAD-${randomUUID().slice(0, 8)}`, name: 'Bad input mug', priceCents: 100, currency: 'EUR' });
const validOrder = () => ({ lines: [{ productId, quantity: 1 }] });
const huge = 'x'.repeat(1024 * 1024 + 16);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Body rows that apply to every route taking a JSON body. */
function bodyCases(prefix: string, method: Case['method'], url: () => string, who: Who, valid: () => Record<string, unknown>, firstField: string): Case[] {
  const row = (name: string, payload: () => unknown, expected = INVALID, contentType?: string): Case => ({
    name: `${prefix}: ${name}`,
    method,
    url,
    who,
    payload,
    expected,
    ...(contentType ? { contentType } : {}),
  });
  return [
    row('malformed JSON', () => '{"a":'),
    row('trailing garbage after JSON', () => `${JSON.stringify(valid())}}`),
    row('an empty JSON body', () => ''),
    row('no body and no content type', () => undefined),
    row('JSON null', () => 'null'),
    row('a JSON array', () => '[]'),
    row('a JSON string', () => '"hello"'),
    row('a JSON number', () => '42'),
    row('an unknown field', () => ({ ...valid(), colour: 'blue' })),
    row('a __proto__ key', () => `{"__proto__":{"admin":true},${JSON.stringify(valid()).slice(1)}`),
    row('a constructor.prototype key', () => `{"constructor":{"prototype":{"admin":true}},${JSON.stringify(valid()).slice(1)}`),
    row(`${firstField} as an object`, () => ({ ...valid(), [firstField]: { nested: true } })),
    row(`${firstField} as null`, () => ({ ...valid(), [firstField]: null })),
    row('text/plain', () => 'hello', MEDIA, 'text/plain'),
    row('form-urlencoded', () => 'a=1&b=2', MEDIA, 'application/x-www-form-urlencoded'),
    row('XML', () => '<a/>', MEDIA, 'application/xml'),
    row('multipart', () => '--x\r\n\r\n--x--', MEDIA, 'multipart/form-data; boundary=x'),
    row('a body over 1 MiB', () => ({ ...valid(), [firstField]: huge }), TOO_LARGE),
    row('a body over 1 MiB of malformed JSON', () => `{"${huge}`, TOO_LARGE),
  ];
}

const productUrl = () => `/catalog/products/${productId}`;
const itemUrl = () => `/inventory/items/${randomUUID()}`;

const createProductCases: Case[] = [
  ...bodyCases('POST /catalog/products', 'POST', () => '/catalog/products', 'admin', validProduct, 'name'),
  ...(
    [
      ['missing sku', { sku: undefined }],
      ['missing name', { name: undefined }],
      ['missing priceCents', { priceCents: undefined }],
      ['missing currency', { currency: undefined }],
      ['sku as a number', { sku: 12345 }],
      ['an empty sku', { sku: '' }],
      ['a sku with spaces', { sku: 'A B' }],
      ['a sku of 65 characters', { sku: 'A'.repeat(65) }],
      ['name as a number', { name: 7 }],
      ['an empty name', { name: '' }],
      ['a name of 201 characters', { name: 'x'.repeat(201) }],
      ['name as an array', { name: ['a'] }],
      ['priceCents as a string', { priceCents: '100' }],
      ['priceCents as a boolean', { priceCents: true }],
      ['a negative price', { priceCents: -1 }],
      ['a fractional price', { priceCents: 1.5 }],
      ['a price of 1e30', { priceCents: 1e30 }],
      ['a price of 2^53+1', { priceCents: 2 ** 53 + 1 }],
      ['a price just above the cap', { priceCents: 100_000_000_001 }],
      ['currency as a number', { currency: 978 }],
      ['a lowercase currency', { currency: 'eur' }],
      ['a four-letter currency', { currency: 'EURO' }],
    ] as const
  ).map(([name, change]): Case => ({
    name: `POST /catalog/products: ${name}`,
    method: 'POST',
    url: () => '/catalog/products',
    who: 'admin',
    payload: () => JSON.parse(JSON.stringify({ ...validProduct(), ...change })),
    expected: INVALID,
  })),
  { name: 'POST /catalog/products: missing every field', method: 'POST', url: () => '/catalog/products', who: 'admin', payload: () => ({}), expected: INVALID },
  // Raw JSON, because JSON.stringify cannot write these numbers.
  { name: 'POST /catalog/products: a price of 1e400 (Infinity once parsed)', method: 'POST', url: () => '/catalog/products', who: 'admin', payload: () => JSON.stringify(validProduct()).replace('"priceCents":100', '"priceCents":1e400'), expected: INVALID },
  { name: 'POST /catalog/products: a price of 9007199254740993 written out', method: 'POST', url: () => '/catalog/products', who: 'admin', payload: () => JSON.stringify(validProduct()).replace('"priceCents":100', '"priceCents":9007199254740993'), expected: INVALID },
];

const updateProductCases: Case[] = [
  ...bodyCases('PATCH /catalog/products/:id', 'PATCH', productUrl, 'admin', () => ({ name: 'Renamed' }), 'name'),
  ...(
    [
      ['an empty change', {}],
      ['a field that cannot change (sku)', { sku: 'NEW' }],
      ['a field that cannot change (currency)', { currency: 'USD' }],
      ['name as a number', { name: 1 }],
      ['an empty name', { name: '' }],
      ['a name of 201 characters', { name: 'x'.repeat(201) }],
      ['priceCents as a string', { priceCents: '5' }],
      ['a negative price', { priceCents: -5 }],
      ['a price of 1e30', { priceCents: 1e30 }],
      ['a price of 2^53+1', { priceCents: 2 ** 53 + 1 }],
    ] as const
  ).map(([name, payload]): Case => ({ name: `PATCH /catalog/products/:id: ${name}`, method: 'PATCH', url: productUrl, who: 'admin', payload: () => payload, expected: INVALID })),
  { name: 'PATCH /catalog/products/:id: an id that is not a UUID', method: 'PATCH', url: () => '/catalog/products/not-a-uuid', who: 'admin', payload: () => ({ name: 'x' }), expected: INVALID },
  { name: 'PATCH /catalog/products/:id: an id of 36 dashes', method: 'PATCH', url: () => `/catalog/products/${'-'.repeat(36)}`, who: 'admin', payload: () => ({ name: 'x' }), expected: INVALID },
];

const setStockCases: Case[] = [
  ...bodyCases('PUT /inventory/items/:id', 'PUT', itemUrl, 'admin', () => ({ onHand: 1 }), 'onHand'),
  ...(
    [
      ['missing onHand', {}],
      ['onHand as a string', { onHand: '5' }],
      ['onHand as a boolean', { onHand: false }],
      ['a negative onHand', { onHand: -1 }],
      ['a fractional onHand', { onHand: 2.5 }],
      ['onHand of 1e30', { onHand: 1e30 }],
      ['onHand of 2^53+1', { onHand: 2 ** 53 + 1 }],
      ['onHand of 2^31 (past the integer column)', { onHand: 2 ** 31 }],
      ['onHand just above the cap', { onHand: 1_000_000_001 }],
      ['a delta instead of a count', { delta: 5 }],
      ['reserved set by hand', { onHand: 5, reserved: 5 }],
    ] as const
  ).map(([name, payload]): Case => ({ name: `PUT /inventory/items/:id: ${name}`, method: 'PUT', url: itemUrl, who: 'admin', payload: () => payload, expected: INVALID })),
  { name: 'PUT /inventory/items/:id: a product id that is not a UUID', method: 'PUT', url: () => '/inventory/items/42', who: 'admin', payload: () => ({ onHand: 1 }), expected: INVALID },
  { name: 'PUT /inventory/items/:id: a product id of 36 dashes', method: 'PUT', url: () => `/inventory/items/${'-'.repeat(36)}`, who: 'admin', payload: () => ({ onHand: 1 }), expected: INVALID },
  { name: 'GET /inventory/items/:id: a product id that is not a UUID', method: 'GET', url: () => '/inventory/items/not-a-uuid', who: 'nobody', expected: INVALID },
];

const orderLine = (change: Record<string, unknown>) => () => ({ lines: [{ productId, quantity: 1, ...change }] });
const placeOrderCases: Case[] = [
  ...bodyCases('POST /orders', 'POST', () => '/orders', 'customer', validOrder, 'lines'),
  ...(
    [
      ['missing lines', () => ({})],
      ['no lines', () => ({ lines: [] })],
      ['lines as an object', () => ({ lines: { productId, quantity: 1 } })],
      ['a line as a string', () => ({ lines: ['x'] })],
      ['a line as null', () => ({ lines: [null] })],
      ['a line without productId', () => ({ lines: [{ quantity: 1 }] })],
      ['a line without quantity', () => ({ lines: [{ productId }] })],
      ['a productId that is not a UUID', orderLine({ productId: 'mug' })],
      ['a productId of 36 dashes', orderLine({ productId: '-'.repeat(36) })],
      ['productId as a number', orderLine({ productId: 7 })],
      ['quantity 0', orderLine({ quantity: 0 })],
      ['a negative quantity', orderLine({ quantity: -1 })],
      ['a fractional quantity', orderLine({ quantity: 1.5 })],
      ['quantity as a string', orderLine({ quantity: '1' })],
      ['quantity of 1e30', orderLine({ quantity: 1e30 })],
      ['quantity of 2^53+1', orderLine({ quantity: 2 ** 53 + 1 })],
      ['quantity just above the cap', orderLine({ quantity: 10_001 })],
      ['an unknown field on a line', orderLine({ unitPriceCents: 1 })],
      ['a price set by the client', () => ({ ...validOrder(), totalCents: 1 })],
      ['101 lines', () => ({ lines: Array.from({ length: 101 }, () => ({ productId: randomUUID(), quantity: 1 })) })],
      ['an empty paymentMethod', () => ({ ...validOrder(), paymentMethod: '' })],
      ['paymentMethod as a number', () => ({ ...validOrder(), paymentMethod: 4242 })],
      ['a paymentMethod of 101 characters', () => ({ ...validOrder(), paymentMethod: 't'.repeat(101) })],
      ['the same product on two lines', () => ({ lines: [{ productId, quantity: 1 }, { productId, quantity: 2 }] })],
      ['a product the catalog does not have', orderLine({ productId: randomUUID() })],
      ['products in two currencies', () => ({ lines: [{ productId, quantity: 1 }, { productId: otherCurrencyProductId, quantity: 1 }] })],
    ] as const
  ).map(([name, payload]): Case => ({ name: `POST /orders: ${name}`, method: 'POST', url: () => '/orders', who: 'customer', payload, expected: INVALID })),
  { name: 'POST /orders: quantity of 9007199254740993 written out', method: 'POST', url: () => '/orders', who: 'customer', payload: () => `{"lines":[{"productId":"${productId}","quantity":9007199254740993}]}`, expected: INVALID },
  { name: 'POST /orders: an empty Idempotency-Key', method: 'POST', url: () => '/orders', who: 'customer', payload: validOrder, headers: { 'idempotency-key': '' }, expected: INVALID },
  { name: 'POST /orders: an Idempotency-Key of 201 characters', method: 'POST', url: () => '/orders', who: 'customer', payload: validOrder, headers: { 'idempotency-key': 'k'.repeat(201) }, expected: INVALID },
];

const getOrderCases: Case[] = [
  ['an id that is not a UUID', 'not-a-uuid'],
  ['a number', '12345'],
  ['36 dashes', '-'.repeat(36)],
  ['a UUID with a trailing character', `${randomUUID()}x`],
  ['an encoded NUL', '%00'],
].map(([name, id]): Case => ({ name: `GET /orders/:id: ${name}`, method: 'GET', url: () => `/orders/${id}`, who: 'customer', expected: INVALID }));

// Errors Fastify raises before routing (bad URL encoding, a path parameter over maxParamLength) skip the app's error
// handler unless `frameworkErrors` is set, and leave as plain application/json: each came back that way when written.
const frameworkErrorCases: Case[] = [
  { name: 'GET /orders/:id: an id of 10,000 characters', method: 'GET', url: () => `/orders/${'a'.repeat(10_000)}`, who: 'customer', expected: [400, 414] },
  { name: 'GET /orders/:id: a malformed percent-encoding', method: 'GET', url: () => '/orders/%E0%A4%A', who: 'customer', expected: INVALID },
  { name: 'GET /catalog/products/:id: a malformed percent-encoding', method: 'GET', url: () => '/catalog/products/%zz', who: 'nobody', expected: INVALID },
];

const limitCases = (prefix: string, path: string, who: Who): Case[] =>
  [
    ['limit=0', 'limit=0'],
    ['limit=-1', 'limit=-1'],
    ['limit=101', 'limit=101'],
    ['limit=1e30', 'limit=1e30'],
    ['limit=2^53+1', 'limit=9007199254740993'],
    ['limit=ten', 'limit=ten'],
    ['limit=1.5 (not silently truncated)', 'limit=1.5'],
    ['an empty limit', 'limit='],
    ['limit=NaN', 'limit=NaN'],
    ['limit=Infinity', 'limit=Infinity'],
    ['limit given twice', 'limit=1&limit=2'],
    ['limit as an array', 'limit[]=1'],
    ['an unknown parameter', 'colour=blue'],
  ].map(([name, query]): Case => ({ name: `${prefix}: ${name}`, method: 'GET', url: () => `${path}?${query}`, who, expected: INVALID }));

const listProductsCases: Case[] = [
  ...limitCases('GET /catalog/products', '/catalog/products', 'nobody'),
  ...(
    [
      ['an empty cursor', ''],
      ['a cursor it did not issue', 'garbage'],
      ['a cursor of 201 characters', 'c'.repeat(201)],
      ['a cursor of JSON that is not an array', b64({ createdAt: '2020-01-01T00:00:00Z' })],
      ['a cursor with a null id', b64(['2020-01-01T00:00:00.000Z', null])],
      ['a cursor with a date that is not one', b64(['yesterday', randomUUID()])],
    ] as const
  ).map(([name, cursor]): Case => ({ name: `GET /catalog/products: ${name}`, method: 'GET', url: () => `/catalog/products?cursor=${encodeURIComponent(cursor)}`, who: 'nobody', expected: INVALID })),
];

// Forged cursors that pass the cursor's own checks but not the database's: each came back 500 when written.
const forgedCursorCases: Case[] = [
  ['forged cursor: an id of 36 dashes', b64(['2020-01-01T00:00:00.000Z', '-'.repeat(36)])],
  ['forged cursor: 36 hex digits without dashes', b64(['2020-01-01T00:00:00.000Z', 'a'.repeat(36)])],
  ['forged cursor: a date before 4713 BC (out of Postgres range)', b64(['-200000-01-01T00:00:00.000Z', randomUUID()])],
].map(([name, cursor]): Case => ({ name: `GET /catalog/products: ${name}`, method: 'GET', url: () => `/catalog/products?cursor=${cursor}`, who: 'nobody', expected: INVALID }));

const myOrdersCases = limitCases('GET /me/orders', '/me/orders', 'customer');

// Names and tokens the database cannot store: Postgres text refuses NUL.
const nulCases: Case[] = [
  { name: 'POST /catalog/products: a name containing NUL', method: 'POST', url: () => '/catalog/products', who: 'admin', payload: () => ({ ...validProduct(), name: 'mug\u0000' }), expected: INVALID },
  { name: 'PATCH /catalog/products/:id: a name containing NUL', method: 'PATCH', url: productUrl, who: 'admin', payload: () => ({ name: 'mug\u0000' }), expected: INVALID },
  { name: 'POST /orders: a paymentMethod containing NUL', method: 'POST', url: () => '/orders', who: 'customer', payload: () => ({ ...validOrder(), paymentMethod: 'tok\u0000' }), expected: INVALID },
];

const table: Case[] = [
  ...createProductCases,
  ...updateProductCases,
  ...setStockCases,
  ...placeOrderCases,
  ...getOrderCases,
  ...frameworkErrorCases,
  ...listProductsCases,
  ...forgedCursorCases,
  ...myOrdersCases,
  ...nulCases,
];

async function send(row: Case, authorization?: string) {
  const headers: Record<string, string> = { ...row.headers };
  if (authorization !== undefined) headers.authorization = authorization;
  else if (row.who === 'admin') Object.assign(headers, admin);
  else if (row.who === 'customer') Object.assign(headers, customer);
  const payload = row.payload?.();
  if (typeof payload === 'string') headers['content-type'] = row.contentType ?? 'application/json';
  return app.inject({
    method: row.method,
    url: row.url(),
    headers,
    ...(payload === undefined ? {} : { payload: payload as string | object }),
  });
}

function expectProblem(response: Awaited<ReturnType<typeof send>>, expected: number[]) {
  const summary = `${response.statusCode} ${response.headers['content-type']} ${response.body.slice(0, 300)}`;
  expect(expected, summary).toContain(response.statusCode);
  expect(response.headers['content-type'], summary).toMatch(/^application\/problem\+json/);
  const body = response.json<{ status: number; code: unknown }>();
  expect(typeof body.code, summary).toBe('string');
  expect(body.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
  expect(body.status).toBe(response.statusCode);
}

describe('bad input is a client error in problem+json, never a 500', () => {
  it.each(table.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    expectProblem(await send(row), row.expected);
  });
});

// --- Authentication ------------------------------------------------------------------------------------------------

function forge(payload: Record<string, unknown>, options: { secret?: string; alg?: string } = {}): string {
  const header = Buffer.from(JSON.stringify({ alg: options.alg ?? 'HS256', typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const signature = options.alg === 'none' ? '' : createHmac('sha256', options.secret ?? TEST_JWT_SECRET).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${signature}`;
}

const now = () => Math.floor(Date.now() / 1000);
const badCredentials: Array<[string, () => string | undefined]> = [
  ['no authorization header', () => undefined],
  ['an empty authorization header', () => ''],
  ['"Bearer" and nothing else', () => 'Bearer '],
  ['a token that is not a JWT', () => 'Bearer garbage'],
  ['Basic credentials', () => `Basic ${Buffer.from('admin:admin').toString('base64')}`],
  ['a token signed with another secret', () => `Bearer ${forge({ sub: 'admin-1', roles: ['admin'] }, { secret: 'another-secret-that-is-at-least-32-characters' })}`],
  ['an unsigned token (alg none)', () => `Bearer ${forge({ sub: 'admin-1', roles: ['admin'] }, { alg: 'none' })}`],
  ['an expired token', () => `Bearer ${forge({ sub: 'admin-1', roles: ['admin'], iat: now() - 7200, exp: now() - 3600 })}`],
  ['a token not valid yet', () => `Bearer ${forge({ sub: 'admin-1', roles: ['admin'], iat: now(), nbf: now() + 3600 })}`],
  ['a token without a subject', () => `Bearer ${forge({ roles: ['admin'], iat: now() })}`],
  ['a token whose subject is a number', () => `Bearer ${forge({ sub: 42, roles: ['admin'], iat: now() })}`],
  ['a tampered token', () => `Bearer ${app.jwt.sign({ sub: 'c-1', roles: [] }).slice(0, -2)}xx`],
];

const protectedRoutes: Array<[string, Omit<Case, 'name' | 'who' | 'expected'>]> = [
  ['POST /catalog/products', { method: 'POST', url: () => '/catalog/products', payload: validProduct }],
  ['PATCH /catalog/products/:id', { method: 'PATCH', url: productUrl, payload: () => ({ name: 'Renamed by nobody' }) }],
  ['PUT /inventory/items/:id', { method: 'PUT', url: itemUrl, payload: () => ({ onHand: 3 }) }],
  ['POST /orders', { method: 'POST', url: () => '/orders', payload: validOrder }],
  ['GET /orders/:id', { method: 'GET', url: () => `/orders/${randomUUID()}` }],
  ['GET /me/orders', { method: 'GET', url: () => '/me/orders' }],
];

describe('protected routes answer 401 problem+json to a missing or bad token', () => {
  const rows = protectedRoutes.flatMap(([route, request]) => badCredentials.map(([credential, authorization]) => [`${route}: ${credential}`, request, authorization] as const));
  it.each(rows)('%s', async (name, request, authorization) => {
    const response = await send({ name, who: 'nobody', expected: UNAUTHENTICATED, ...request }, authorization() ?? undefined);
    expectProblem(response, UNAUTHENTICATED);
    // An expired token has its own code, so that a client knows to fetch a new one; every other bad credential is plain UNAUTHENTICATED.
    expect(response.json().code).toBe(name.endsWith('an expired token') ? 'TOKEN_EXPIRED' : 'UNAUTHENTICATED');
  });

  it.each(protectedRoutes.filter(([route]) => !route.includes('orders')))('%s: a customer token is 403 ADMIN_ROLE_REQUIRED', async (name, request) => {
    const response = await send({ name, who: 'customer', expected: [403], ...request });
    expectProblem(response, [403]);
    expect(response.json().code).toBe('ADMIN_ROLE_REQUIRED');
  });
});
