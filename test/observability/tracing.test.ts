// The OpenTelemetry SDK must start before fastify, pg and pino load, as `node --import ./src/telemetry.ts` does for
// the real process; so this file starts it first and imports the app afterwards.
import { register } from 'node:module';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { startTelemetry } from '#platform/telemetry/sdk.ts';
import { isSqlSpan, statementOf } from '../support/sql-spans.ts';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
const exporter = new InMemorySpanExporter();
const sdk = startTelemetry({ serviceName: 'seams-test', otlpEndpoint: undefined, spanProcessors: [new SimpleSpanProcessor({ exporter })] });

// The harness (and with it the app) is imported only now that the SDK runs.
const { useApp } = await import('#testing');
const { waitFor } = await import('../support/wait-for.ts');

// Registered before useApp's hooks, so that it runs after the app has closed (after-hooks run in reverse order).
afterAll(async () => {
  await sdk.shutdown();
});

// A database of its own (the harness's): on a shared one, other test files' apps would handle some events, and their
// spans would be recorded in other processes.
const app = useApp({ listen: true });
let base: string;
beforeAll(() => {
  base = app.url;
});

async function call(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

it('puts one placed-and-confirmed order into one trace: request, price call, every handler and their SQL, in a parent chain', async () => {
  const admin = app.jwt.sign({ sub: 'trace-admin', roles: ['admin'] });
  const customer = app.jwt.sign({ sub: `trace-customer-${Date.now()}`, roles: [] });
  const product = await call('POST', '/catalog/products', admin, { sku: `TRACE-${Date.now()}`, name: 'Traced mug', priceCents: 700, currency: 'EUR' });
  await call('PUT', `/inventory/items/${product.body.id}`, admin, { onHand: 5 });
  exporter.reset();

  const placed = await call('POST', '/orders', customer, { lines: [{ productId: product.body.id, quantity: 1 }] });
  expect(placed.status).toBe(202);
  const orderId = placed.body.id as string;
  await waitFor(async () => (await call('GET', `/orders/${orderId}`, customer)).body.status === 'confirmed', { message: 'order not confirmed' });
  await waitFor(async () => {
    const history = await call('GET', '/me/orders', customer);
    return (history.body.orders as Array<{ orderId: string; status: string }>).some((order) => order.orderId === orderId && order.status === 'confirmed');
  });

  // Inventory's OrderConfirmed handler may still be running when the order reads as confirmed: its span is awaited,
  // and asserted below like the others.
  await waitFor(
    () => exporter.getFinishedSpans().some((span) => span.name === 'ordering.OrderConfirmed handle' && span.attributes['seams.module'] === 'inventory'),
    { message: "inventory's OrderConfirmed handler span not recorded" },
  );

  const spans = exporter.getFinishedSpans();
  // @fastify/otel's server span, named after the route, is the root of the request's trace.
  const root = spans.find((span) => span.kind === 1 /* SERVER */ && !span.parentSpanContext && span.name === 'POST /orders' && span.attributes['url.path'] === '/orders');
  expect(root, 'the HTTP server span of POST /orders').toBeDefined();
  const traceId = root!.spanContext().traceId;
  const inTrace = spans.filter((span) => span.spanContext().traceId === traceId);
  const byId = new Map(inTrace.map((span) => [span.spanContext().spanId, span]));
  /** Walks up the parent chain; every span of the trace must reach the root without a gap. */
  const chain = (span: ReadableSpan): string[] => {
    const names = [span.name];
    let current = span;
    while (current.parentSpanContext) {
      const parent = byId.get(current.parentSpanContext.spanId);
      if (!parent) throw new Error(`span "${current.name}" has a parent that is not in the trace`);
      names.push(parent.name);
      current = parent;
    }
    expect(current).toBe(root);
    return names;
  };
  const named = (name: string, module?: string) =>
    inTrace.filter((span) => span.name === name && (module === undefined || span.attributes['seams.module'] === module));

  const priceCall = named('catalog.getProducts');
  expect(priceCall).toHaveLength(1);
  expect(priceCall[0]!.attributes).toMatchObject({ 'seams.module': 'catalog', 'seams.caller': 'ordering' });
  chain(priceCall[0]!);

  const handlers: Array<[string, string]> = [
    ['ordering.OrderPlaced handle', 'inventory'],
    ['ordering.OrderPlaced handle', 'order-history'],
    ['inventory.StockReserved handle', 'ordering'],
    ['ordering.PaymentRequested handle', 'payments'],
    ['payments.PaymentCaptured handle', 'ordering'],
    ['payments.PaymentCaptured handle', 'order-history'],
    ['ordering.OrderConfirmed handle', 'inventory'],
    ['ordering.OrderConfirmed handle', 'order-history'],
  ];
  for (const [name, module] of handlers) {
    const found = named(name, module);
    expect(found, `${name} in ${module}`).toHaveLength(1);
    expect(found[0]!.attributes).toMatchObject({ 'seams.attempt': 1, 'seams.event_id': expect.any(String) });
    const ancestry = chain(found[0]!);
    // Each handler hangs under the publish of its own event.
    expect(ancestry[1]).toBe(name.replace(' handle', ' publish'));
  }
  // A publish span is its outbox INSERT: no SQL span under it repeats the same statement.
  const publishes = new Set(inTrace.filter((span) => span.name.endsWith(' publish')).map((span) => span.spanContext().spanId));
  expect(publishes.size).toBeGreaterThan(3);
  expect(inTrace.filter((span) => isSqlSpan(span) && publishes.has(span.parentSpanContext?.spanId ?? '')).map(statementOf)).toEqual([]);
  // Handlers of handlers: payments ran because inventory's reservation led ordering to request the payment.
  const paymentChain = chain(named('ordering.PaymentRequested handle', 'payments')[0]!);
  expect(paymentChain).toEqual(expect.arrayContaining(['inventory.StockReserved handle', 'ordering.OrderPlaced handle', 'ordering.OrderPlaced publish']));

  // SQL of the handlers is in the trace, under the handler spans.
  const sqlUnderHandlers = inTrace.filter(isSqlSpan).filter((span) => chain(span).some((name) => name.endsWith(' handle')));
  expect(sqlUnderHandlers.length).toBeGreaterThan(5);

  // The event bus's own bookkeeping (the lease, reading the log, moving cursors) serves every trace at once, so it is
  // in none: a woken worker must not file its batches under the request that happened to wake it.
  const bookkeeping = inTrace.filter((span) => /pg_try_advisory_xact_lock|seams_subscription_cursors|seams_relay_cursors/.test(statementOf(span)));
  expect(bookkeeping.map((span) => statementOf(span).slice(0, 60))).toEqual([]);

  // Trace ids in log lines are checked on the real process (otlp-export.test.ts): inside vitest's workers pino is
  // loaded past OpenTelemetry's ESM hook, so the pino instrumentation cannot patch it here.
});

it('continues the trace of an incoming traceparent, with one server span per request named after its route', async () => {
  const product = await call('POST', '/catalog/products', app.jwt.sign({ sub: 'trace-admin', roles: ['admin'] }), { sku: `TP-${Date.now()}`, name: 'Mug', priceCents: 100, currency: 'EUR' });
  exporter.reset();
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const callerSpanId = '00f067aa0ba902b7';
  const response = await fetch(`${base}/catalog/products/${String(product.body.id)}`, { headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } });
  expect(response.status).toBe(200);

  await waitFor(() => exporter.getFinishedSpans().some((span) => span.kind === 1), { message: 'no server span recorded' });
  const servers = exporter.getFinishedSpans().filter((span) => span.kind === 1 /* SERVER */);
  expect(servers.map((span) => span.name)).toEqual(['GET /catalog/products/:id']);
  expect(servers[0]!.spanContext().traceId).toBe(traceId);
  expect(servers[0]!.parentSpanContext?.spanId).toBe(callerSpanId);
  expect(servers[0]!.attributes).toMatchObject({ 'http.route': '/catalog/products/:id', 'http.response.status_code': 200 });
  // The read's SQL hangs under it, in the caller's trace.
  const sql = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId && isSqlSpan(span));
  expect(sql.length).toBeGreaterThan(0);
  for (const span of sql) expect(span.parentSpanContext?.spanId).toBe(servers[0]!.spanContext().spanId);
  // Seams' own SQL spans carry the database semantic conventions' attributes.
  const read = sql.find((span) => /from "products"/.test(statementOf(span)));
  expect(read, `the product read among ${sql.map(statementOf).join(' | ')}`).toBeDefined();
  const server = new URL(app.databaseUrl);
  expect(read!.kind).toBe(2 /* CLIENT */);
  expect(read!.attributes).toMatchObject({
    'db.system.name': 'postgresql',
    'db.namespace': server.pathname.slice(1),
    'db.operation.name': 'SELECT',
    'db.query.text': expect.stringMatching(/^select \* from "products" where "id" = \$1$/),
    'server.address': server.hostname,
    'server.port': Number(server.port),
  });
});

it('records nothing, SQL included, for a request its caller did not sample', async () => {
  const product = await call('POST', '/catalog/products', app.jwt.sign({ sub: 'trace-admin', roles: ['admin'] }), { sku: `TU-${Date.now()}`, name: 'Mug', priceCents: 100, currency: 'EUR' });
  const traceId = '5cf92f3577b34da6a3ce929d0e0e4737';
  // Flags 00: the caller did not sample, and the default sampler (parent-based, always on at the root) follows it.
  const unsampled = await fetch(`${base}/catalog/products/${String(product.body.id)}`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b8-00` } });
  expect(unsampled.status).toBe(200);
  // A sampled request after it, so the export has caught up once its spans are in.
  const sampledId = '6df92f3577b34da6a3ce929d0e0e4738';
  expect((await fetch(`${base}/catalog/products/${String(product.body.id)}`, { headers: { traceparent: `00-${sampledId}-00f067aa0ba902b9-01` } })).status).toBe(200);
  await waitFor(() => exporter.getFinishedSpans().some((span) => span.spanContext().traceId === sampledId && isSqlSpan(span)), { message: 'the sampled read has no SQL span' });
  expect(exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId).map((span) => span.name)).toEqual([]);
});
