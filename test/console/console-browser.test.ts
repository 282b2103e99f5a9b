// Drives the console in a real Chromium (playwright-core and the OS's chromium package). The OpenTelemetry SDK must
// start before fastify, pg and pino load, as `node --import ./src/telemetry.ts` does, so this file starts it first,
// with the trace buffer the console reads, and imports the app afterwards.
import { register } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleProbeTables } from './console-probe-module.ts';
import { startTelemetry } from '#platform/telemetry/sdk.ts';
import { CHROMIUM_ARGS, findChromium, NO_CHROMIUM_MESSAGE } from '../support/chromium.ts';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
const sdk = startTelemetry({ serviceName: 'seams-console-test', otlpEndpoint: undefined, traceBufferSize: 500 });

const { chromium } = await import('playwright-core');
const { useApp } = await import('#testing');
const { modules: shopModules } = await import('../../src/modules.ts');
const { buildConsole } = await import('../../scripts/build-console.ts');
const { waitFor } = await import('../support/wait-for.ts');
const { consoleProbe } = await import('./console-probe-module.ts');

type Browser = Awaited<ReturnType<typeof chromium.launch>>;
type Page = Awaited<ReturnType<Browser['newPage']>>;

const executablePath = findChromium();
if (!executablePath) {
  // Said plainly, once, in the test output; on CI a missing browser is a failure (.ci/run installs it), not a skip.
  process.stderr.write(`\n${NO_CHROMIUM_MESSAGE}\n\n`);
  if (process.env.CI) throw new Error(NO_CHROMIUM_MESSAGE);
}

describe.skipIf(!executablePath)('the console in a browser', () => {
  const probe = consoleProbe();
  // Registered before useApp's hooks, so that it runs after the app has closed (after-hooks run in reverse order).
  afterAll(async () => {
    await sdk.shutdown();
  });
  beforeAll(async () => {
    await buildConsole({ ifStale: true, quiet: true });
  }, 180_000);
  const app = useApp({
    modules: [...shopModules, probe.module],
    migrations: probe.migrations,
    listen: true,
    env: { EVENTS_MAX_ATTEMPTS: '2', EVENTS_RETRY_BASE_MS: '10', EVENTS_RETRY_MAX_MS: '20', CONSOLE_TRACE_URL: 'https://tracing.example/trace/{traceId}' },
  });
  let browser: Browser;
  let page: Page;
  let base: string;
  let adminToken: string;

  beforeAll(async () => {
    base = app.url;
    adminToken = app.jwt.sign({ sub: 'console-test-admin', roles: ['admin'] });
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    // A CSP violation or a script error would otherwise pass unnoticed as a page that just does less.
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    (page as Page & { problems: string[] }).problems = problems;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
  });

  const api = async (method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const seenOrders = () =>
    app.module('console-probe').db<ConsoleProbeTables>().selectFrom('seen_orders').select(['order_id', 'attempt']).execute();

  async function placeOrder(): Promise<string> {
    const product = await api('POST', '/catalog/products', adminToken, { sku: `CONSOLE-${Date.now()}-${Math.random()}`, name: 'Console mug', priceCents: 900, currency: 'EUR' });
    await api('PUT', `/inventory/items/${product.body.id}`, adminToken, { onHand: 5 });
    const customer = app.jwt.sign({ sub: `console-customer-${Date.now()}`, roles: [] });
    const placed = await api('POST', '/orders', customer, { lines: [{ productId: product.body.id, quantity: 1 }] });
    expect(placed.status).toBe(202);
    const orderId = placed.body.id as string;
    await waitFor(async () => (await api('GET', `/orders/${orderId}`, customer)).body.status === 'confirmed', { message: 'the order was not confirmed' });
    return orderId;
  }

  it('signs in with a pasted admin token and draws every module and the ordering → inventory flow on the map', async () => {
    await page.goto(`${base}/console/`);
    await page.getByLabel('Admin token').fill(app.jwt.sign({ sub: 'a-customer', roles: [] }));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('no admin role');
    // The browser logs that refused request (403) as an error; it was the point of the step.
    (page as Page & { problems: string[] }).problems.length = 0;

    await page.getByLabel('Admin token').fill(adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('svg.map').waitFor();
    for (const name of ['catalog', 'inventory', 'ordering', 'payments', 'order-history']) {
      await expect(page.locator(`svg.map [data-module="${name}"]`).count(), `${name} on the map`).resolves.toBe(1);
    }
    const flow = page.locator('svg.map [data-flow="ordering->inventory"]');
    await expect(flow.count()).resolves.toBe(1);
    expect(await flow.textContent()).toContain('ordering.OrderPlaced@1');
    expect(await page.locator('svg.map [data-flow="ordering->console-probe"]').textContent()).toContain('ordering.OrderPlaced@2');
    expect(await page.locator('svg.map [data-call="ordering=>catalog"]').count()).toBe(1);
    expect(await page.locator('svg.map [data-module="ordering"]').textContent()).toContain('@seams/ordering-team');
    // The token stays with the tab: sessionStorage, never a cookie.
    expect(await page.evaluate(() => sessionStorage.getItem('seams-console-token'))).toBe(adminToken);
    expect((await page.context().cookies()).length).toBe(0);
  });

  it("opens a module's page from the map: routes from OpenAPI, events with schemas, tables from its schema, dependants", async () => {
    await page.locator('svg.map [data-module="ordering"]').click();
    await page.locator('[data-section="tables"]').waitFor();
    expect(page.url()).toContain('#/modules/ordering');
    expect(await page.locator('[data-route="POST /orders"]').textContent()).toContain('Place an order');
    expect(await page.locator('[data-event="ordering.OrderPlaced"]').textContent()).toContain('ordering.OrderPlaced@2');
    expect(await page.locator('[data-table="orders"]').textContent()).toContain('status');
    expect(await page.locator('[data-section="dependants"]').textContent()).toContain('console-probe');
    await page.locator('[data-route="POST /orders"] summary').click();
    expect(await page.locator('[data-route="POST /orders"] pre').textContent()).toContain('requestBody');
  });

  it('shows a failing handler as a dead letter, replays it from the page, and the handler takes effect', async () => {
    probe.state.failing = true;
    const orderId = await placeOrder();
    await page.getByRole('link', { name: 'Dead letters' }).click();
    const card = page.locator('[data-dead-letter^="console-probe:"]');
    await card.waitFor({ timeout: 20_000 });
    expect(await card.textContent()).toContain(`console-probe refuses order ${orderId} on purpose`);
    expect(await seenOrders()).toEqual([]);

    await page.getByRole('link', { name: 'Events' }).click();
    const row = page.locator('[data-subscription="console-probe/ordering.OrderPlaced"]');
    await row.waitFor();
    expect(await row.locator('[data-col="dead"]').textContent()).toBe('1');

    probe.state.failing = false;
    await page.getByRole('link', { name: 'Dead letters' }).click();
    await card.locator('button.replay').click();
    await page.locator('dialog.confirm').getByRole('button', { name: 'Replay' }).click();
    await card.waitFor({ state: 'detached', timeout: 10_000 });
    await page.locator('[data-empty="dead-letters"]').waitFor();
    await waitFor(async () => (await seenOrders()).some((seen) => seen.order_id === orderId), { message: 'the replayed event had no effect' });
    // The live view catches up within its refresh.
    await page.getByRole('link', { name: 'Events' }).click();
    await expect.poll(() => row.locator('[data-col="dead"]').textContent(), { timeout: 5000 }).toBe('0');
  });

  it('discards a dead letter with a reason after a confirmation', async () => {
    probe.state.failing = true;
    await placeOrder();
    await page.getByRole('link', { name: 'Dead letters' }).click();
    const card = page.locator('[data-dead-letter^="console-probe:"]');
    await card.waitFor({ timeout: 20_000 });
    const id = (await card.getAttribute('data-dead-letter'))!;
    probe.state.failing = false;
    await card.locator('button.discard').click();
    const dialog = page.locator('dialog.confirm');
    await expect(dialog.getByRole('button', { name: 'Discard' }).isDisabled()).resolves.toBe(true);
    await dialog.getByLabel('Reason').fill('a test order, never real');
    await dialog.getByRole('button', { name: 'Discard' }).click();
    await card.waitFor({ state: 'detached', timeout: 10_000 });
    expect(await page.locator(`[data-discarded="${id}"]`).textContent()).toContain('a test order, never real');
  });

  it("opens a placed order's trace as a waterfall with spans from at least four modules and a link out", async () => {
    const orderId = await placeOrder();
    await waitFor(async () => (await seenOrders()).some((seen) => seen.order_id === orderId));
    await page.getByRole('link', { name: 'Traces' }).click();
    await page.getByLabel('Route').fill('/orders');
    const row = page.locator('[data-trace]', { hasText: 'POST /orders' }).first();
    await row.waitFor();
    await row.getByRole('link').click();
    await page.locator('.waterfall').waitFor();
    const modules = await page.locator('[data-trace-module]').allTextContents();
    expect(modules.length, `modules in the trace: ${modules.join(', ')}`).toBeGreaterThanOrEqual(4);
    expect(modules).toEqual(expect.arrayContaining(['ordering', 'catalog', 'inventory', 'payments']));
    expect(await page.locator('.waterfall .row').count()).toBeGreaterThan(10);
    await page.locator('.waterfall .row', { hasText: 'catalog.getProducts' }).first().click();
    expect(await page.locator('.span-details').textContent()).toContain('seams.caller');
    const link = await page.locator('a.trace-link').getAttribute('href');
    expect(link).toMatch(/^https:\/\/tracing\.example\/trace\/[0-9a-f]{32}$/);
    expect((page as Page & { problems: string[] }).problems).toEqual([]);
  });
});
