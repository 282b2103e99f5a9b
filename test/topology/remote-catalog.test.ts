// The OpenTelemetry SDK must start before fastify, pg and pino load (as in test/observability/tracing.test.ts), so the
// spans of both apps can show the trace crossing from one to the other.
import { register } from 'node:module';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { startTelemetry } from '#platform/telemetry/sdk.ts';
import { isSqlSpan, statementOf } from '../support/sql-spans.ts';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
const exporter = new InMemorySpanExporter();
const sdk = startTelemetry({ serviceName: 'seams-topology-test', otlpEndpoint: undefined, spanProcessors: [new SimpleSpanProcessor({ exporter })] });

const { useApp } = await import('#testing');
const { tokens } = await import('../support/test-app.ts');
const { modules: shopModules } = await import('../../src/modules.ts');
const { waitFor } = await import('../support/wait-for.ts');

/**
 * The shop's one synchronous call, ordering -> catalog.getProducts, across two real processes' worth of apps on real
 * sockets: the catalog alone in one (MODULES=catalog), ordering with the modules it shares events with in the other,
 * reaching the catalog through REMOTE_MODULES. A third app runs everything in one process, as the reference the split
 * must match.
 *
 * The shop without its read model (order-history): that module subscribes to the catalog's events, which would then
 * cross processes and need NATS (test/topology/split-shop.test.ts runs the whole shop that way). This file is about
 * the synchronous call, which no event takes part in.
 */
const modules = shopModules.filter((module) => module.name !== 'order-history');

const SERVICE_TOKEN = 'remote-catalog-test-service-token-0123456789';
// Registered first, so it runs after the apps have closed (afterAll hooks run in reverse).
afterAll(async () => {
  await sdk.shutdown();
});
// The three apps share the catalog's database, a fresh one: the spans counted here must come from these apps, not
// from other test files' workers. Its apps go down in reverse, the catalog's, which owns it, last.
const catalog = useApp({ modules, listen: true, env: { MODULES: 'catalog', SERVICE_TOKEN } });
const ordering = useApp(() => ({
  modules,
  databaseUrl: catalog.databaseUrl,
  listen: true,
  env: { MODULES: 'ordering,inventory,payments', REMOTE_MODULES: `catalog=${catalog.url}`, SERVICE_TOKEN },
}));
const together = useApp(() => ({ modules, databaseUrl: catalog.databaseUrl }));
let catalogUrl: string;
let orderingUrl: string;
beforeAll(() => {
  catalogUrl = catalog.url;
  orderingUrl = ordering.url;
});

async function call(base: string, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function newProduct(priceCents: number): Promise<string> {
  const { admin } = tokens(catalog);
  const created = await call(catalogUrl, 'POST', '/catalog/products', admin, { sku: `TOPO-${randomUUID().slice(0, 12)}`, name: 'Remote mug', priceCents, currency: 'EUR' });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

/** The parts of an order that pricing decides. */
const priced = (order: Record<string, unknown>) => ({ lines: order.lines, totalCents: order.totalCents, currency: order.currency, status: order.status });

describe('ordering with the catalog in another process', () => {
  it('does not run the catalog itself', async () => {
    const response = await ordering.inject({ method: 'GET', url: `/catalog/products/${randomUUID()}` });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });

  it('prices an order through the remote catalog exactly as the one-process app does, at the price of the moment', async () => {
    const [first, second] = [await newProduct(1250), await newProduct(399)];
    const lines = [
      { productId: first, quantity: 2 },
      { productId: second, quantity: 3 },
    ];
    const { customer } = tokens(ordering);
    const split = await call(orderingUrl, 'POST', '/orders', customer, { lines });
    const local = await together.inject({ method: 'POST', url: '/orders', headers: customer, payload: { lines } });
    expect(split.status, JSON.stringify(split.body)).toBe(202);
    expect(local.statusCode, local.body).toBe(202);
    expect(priced(split.body)).toEqual(priced(local.json()));
    expect(split.body).toMatchObject({ totalCents: 2 * 1250 + 3 * 399, currency: 'EUR' });

    // A price change in the catalog's process shows in the next order placed in the other one.
    const changed = await call(catalogUrl, 'PATCH', `/catalog/products/${first}`, tokens(catalog).admin, { priceCents: 1300 });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    const later = await call(orderingUrl, 'POST', '/orders', customer, { lines: [{ productId: first, quantity: 1 }] });
    expect(later.body).toMatchObject({ totalCents: 1300 });
  });

  it('answers an unknown product with the same error as the one-process app', async () => {
    const known = await newProduct(500);
    const lines = [
      { productId: known, quantity: 1 },
      { productId: randomUUID(), quantity: 1 },
    ];
    const { customer } = tokens(ordering);
    const split = await call(orderingUrl, 'POST', '/orders', customer, { lines });
    const local = await together.inject({ method: 'POST', url: '/orders', headers: customer, payload: { lines } });
    expect(split.status).toBe(422);
    expect(split.status).toBe(local.statusCode);
    const { instance: _i, requestId: _r, ...splitProblem } = split.body;
    const { instance: _i2, requestId: _r2, ...localProblem } = local.json<Record<string, unknown>>();
    expect(splitProblem).toMatchObject({ code: 'UNKNOWN_PRODUCTS', lines: [1] });
    expect(splitProblem).toEqual(localProblem);
  });

  it("refuses calls to the catalog's endpoint without the service token", async () => {
    const body = JSON.stringify({ ids: [] });
    const headers = { 'content-type': 'application/json' };
    const endpoint = `${catalogUrl}/internal/modules/catalog/getProducts`;
    expect((await fetch(endpoint, { method: 'POST', headers, body })).status).toBe(401);
    expect((await fetch(endpoint, { method: 'POST', headers: { ...headers, authorization: 'Bearer not-the-token' }, body })).status).toBe(403);
    // An end user's JWT is no service token either.
    expect((await fetch(endpoint, { method: 'POST', headers: { ...headers, ...tokens(catalog).admin }, body })).status).toBe(403);
    const allowed = await fetch(endpoint, { method: 'POST', headers: { ...headers, authorization: `Bearer ${SERVICE_TOKEN}` }, body });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ products: [], missing: [] });
  });

  it("carries the trace from the order request into the catalog's process (traceparent)", async () => {
    const product = await newProduct(700);
    const { customer } = tokens(ordering);
    exporter.reset();
    const placed = await call(orderingUrl, 'POST', '/orders', customer, { lines: [{ productId: product, quantity: 1 }] });
    expect(placed.status).toBe(202);

    const SERVER = 1;
    const CLIENT = 2;
    const spans = () => exporter.getFinishedSpans();
    const internalPath = '/internal/modules/catalog/getProducts';
    await waitFor(() => spans().some((span) => span.kind === SERVER && span.attributes['url.path'] === '/orders'), { message: 'no server span for POST /orders' });

    const root = spans().find((span) => span.kind === SERVER && span.attributes['url.path'] === '/orders')!;
    const traceId = root.spanContext().traceId;
    const apiCall = spans().find((span) => span.name === 'catalog.getProducts' && span.spanContext().traceId === traceId);
    expect(apiCall?.attributes).toMatchObject({ 'seams.module': 'catalog', 'seams.caller': 'ordering' });
    const clientSpans = spans().filter((span) => span.kind === CLIENT && span.name === `POST ${internalPath}` && span.spanContext().traceId === traceId);
    expect(clientSpans).toHaveLength(1);
    expect(clientSpans[0]!.parentSpanContext?.spanId).toBe(apiCall!.spanContext().spanId);

    // The catalog's process received the client span as its parent: its server span continues the same trace.
    const served = spans().filter((span) => span.kind === SERVER && span.attributes['url.path'] === internalPath);
    expect(served).toHaveLength(1);
    expect(served[0]!.spanContext().traceId).toBe(traceId);
    expect(served[0]!.parentSpanContext?.spanId).toBe(clientSpans[0]!.spanContext().spanId);
    // And the catalog's SQL for that call is in it too.
    const servedSql = spans().filter((span) => span.spanContext().traceId === traceId && isSqlSpan(span) && /products/.test(statementOf(span)));
    expect(servedSql.length).toBeGreaterThan(0);
  });
});
