import { beforeAll, expect, it } from 'vitest';
import { useApp } from '#testing';
import { tokens } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

// Counters are per process; the harness's database of its own keeps other test files' apps from handling some of
// these orders' events.
const app = useApp();
let admin: Record<string, string>;
beforeAll(() => {
  admin = tokens(app).admin;
});

/** Sample values by `name{labels}` from the Prometheus text format. */
async function scrape(): Promise<Map<string, number>> {
  const response = await app.inject({ method: 'GET', url: '/metrics', headers: admin });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toContain('text/plain');
  const samples = new Map<string, number>();
  for (const line of response.body.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}
const delta = (before: Map<string, number>, after: Map<string, number>, name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);

it('answers 401 without a token and 403 to a customer', async () => {
  expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
  expect((await app.inject({ method: 'GET', url: '/metrics', headers: tokens(app).customer })).statusCode).toBe(403);
});

it('moves the business, event and HTTP metrics by the right amounts after a confirmed, a declined and an out-of-stock order', async () => {
  const product = (await app.inject({ method: 'POST', url: '/catalog/products', headers: admin, payload: { sku: `MET-${Date.now()}`, name: 'Metered', priceCents: 1234, currency: 'SEK' } })).json<{ id: string }>();
  await app.inject({ method: 'PUT', url: `/inventory/items/${product.id}`, headers: admin, payload: { onHand: 2 } });
  const before = await scrape();

  const customer = tokens(app);
  const place = async (quantity: number, paymentMethod?: string) =>
    (await app.inject({ method: 'POST', url: '/orders', headers: customer.customer, payload: { lines: [{ productId: product.id, quantity }], ...(paymentMethod ? { paymentMethod } : {}) } })).json<{ id: string }>().id;
  const ids = [await place(1), await place(1, 'tok_decline'), await place(5)];
  for (const id of ids) {
    await waitFor(async () => (await app.inject({ method: 'GET', url: `/orders/${id}`, headers: customer.customer })).json().status !== 'pending', { message: `order ${id} still pending` });
  }
  // Counters move after the commit of the step that ends the order; give the last after-commit callbacks a moment.
  await waitFor(async () => delta(before, await scrape(), 'seams_orders_cancelled_total{reason="payment_declined"}') === 1);
  const after = await scrape();

  expect(delta(before, after, 'seams_orders_placed_total')).toBe(3);
  expect(delta(before, after, 'seams_orders_confirmed_total')).toBe(1);
  expect(delta(before, after, 'seams_orders_cancelled_total{reason="out_of_stock"}')).toBe(1);
  expect(delta(before, after, 'seams_orders_cancelled_total{reason="payment_declined"}')).toBe(1);
  expect(delta(before, after, 'seams_revenue_cents_total{currency="SEK"}')).toBe(1234);
  expect(delta(before, after, 'seams_payments_declined_total')).toBe(1);
  expect(delta(before, after, 'seams_events_published_total{module="ordering"}')).toBeGreaterThanOrEqual(3 + 2 + 3);
  expect(delta(before, after, 'seams_events_delivered_total{module="inventory",subscription="ordering.OrderPlaced"}')).toBeGreaterThanOrEqual(3);
  expect(delta(before, after, 'seams_http_request_duration_seconds_count{method="POST",route="/orders",status="202"}')).toBe(3);
  expect([...after.keys()].some((name) => name.startsWith('seams_events_outbox_lag_seconds{'))).toBe(true);
  expect(after.get('seams_runtime_heap_used_bytes')).toBeGreaterThan(0);
});
