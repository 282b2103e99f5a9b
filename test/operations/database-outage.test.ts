import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useApp } from '#testing';
import { createLogger } from '#platform/logger.ts';
import { ensureDatabase } from '#platform/db/ensure-database.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '#platform/db/embedded-postgres.ts';
import { httpShopClient, type ShopResponse } from '../support/shop-client.ts';
import { shop } from '../support/shop.ts';
import { TEST_JWT_SECRET, tokens } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * A PostgreSQL of the test's own, crashed (pg_ctl stop -m immediate) under a load of orders and started again, with
 * the app reached over real HTTP throughout. What a client, a load balancer and the on-call engineer see.
 */
describe('a database outage under load', () => {
  let server: EmbeddedPostgres;
  let dataDir: string;
  const lines: Array<Record<string, unknown>> = [];
  let client: ReturnType<typeof httpShopClient>;

  // Before useApp's hooks: the app is built on this server, and closed before it stops (after-hooks run in reverse).
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'seams-outage-'));
    server = await startEmbeddedPostgres({ dataDir, logger: createLogger('silent') });
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const app = useApp(async () => ({
    databaseUrl: await ensureDatabase(server.url, 'seams_outage'),
    // No rate limit: four clients placing orders as fast as 503s come back send far more than a person would.
    env: { OTEL_SDK_DISABLED: 'true', RATE_LIMIT_PER_MINUTE: '0' },
    listen: true,
    extras: { onLogLine: (line) => void lines.push(line) },
  }));
  beforeAll(() => {
    client = httpShopClient({ route: () => app.url, jwtSecret: TEST_JWT_SECRET });
  });

  it('answers 503 DATABASE_UNAVAILABLE fast, logs it once, writes nothing half, and resumes delivery with nothing lost or doubled', async () => {
    const shopApi = shop(client);
    const product = await shopApi.productInStock(10_000);
    const { customer } = tokens(client);
    const order = { lines: [{ productId: product.id, quantity: 1 }] };

    // Load: four clients placing orders back to back, before, during and after the crash.
    const results: Array<{ status: number; id?: string; ms: number; response: ShopResponse }> = [];
    let loading = true;
    const place = async () => {
      const started = performance.now();
      const response = await client.inject({ method: 'POST', url: '/orders', headers: customer, payload: order });
      results.push({ status: response.statusCode, ms: performance.now() - started, response, ...(response.statusCode === 202 ? { id: response.json<{ id: string }>().id } : {}) });
    };
    // Reads once 80 orders are in: the read model's page (checked below) holds 100.
    const read = async () => {
      const started = performance.now();
      const response = await client.inject({ method: 'GET', url: `/catalog/products/${product.id}` });
      results.push({ status: response.statusCode === 200 ? 202 : response.statusCode, ms: performance.now() - started, response });
    };
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (loading) await (results.filter((result) => result.id).length < 80 ? place() : read());
      }),
    );
    await sleep(1500);
    const crashLine = lines.length;
    await server.crash();
    await sleep(2000);
    loading = false;
    await load;

    // While it is down: every kind of request that needs the database answers 503 problem+json, fast.
    const accepted = results.filter((result) => result.id !== undefined);
    expect(accepted.length, 'orders accepted before the crash').toBeGreaterThan(0);
    const during = [
      await timed(() => client.inject({ method: 'POST', url: '/orders', headers: customer, payload: order })),
      await timed(() => client.inject({ method: 'GET', url: `/orders/${accepted[0]!.id}`, headers: customer })),
      await timed(() => client.inject({ method: 'GET', url: `/catalog/products/${product.id}` })),
      await timed(() => client.inject({ method: 'GET', url: '/me/orders', headers: customer })),
    ];
    for (const { response, ms } of during) {
      expect(response.statusCode, response.body).toBe(503);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      expect(ms).toBeLessThan(1000);
    }
    expect((await client.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(503);
    // The load saw only accepted orders and 503s, each answered within a second: never a 500, never a hang.
    expect(results.filter((result) => result.status !== 202 && result.status !== 503).map((result) => `${result.status} ${result.response.body}`)).toEqual([]);
    for (const result of results.filter((r) => r.status === 503)) {
      expect(result.response.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
      expect(result.ms).toBeLessThan(1000);
    }

    // Event workers wait without spinning: under 5 % of a core while nothing else happens.
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    await sleep(3000);
    const cpu = process.cpuUsage(cpuBefore);
    const share = (cpu.user + cpu.system) / 1000 / (performance.now() - wallBefore);
    expect(share, `CPU share during the outage: ${(share * 100).toFixed(1)} %`).toBeLessThan(0.05);

    await server.restart();
    const back = Date.now();
    // Within 5 s of the database's return: ready again, and delivery going again (the workers are woken at the return,
    // not left to sleep out their backoff): an order that was still pending moves on.
    await waitFor(async () => (await client.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200, { timeoutMs: 5000, intervalMs: 50, message: 'not ready within 5 s' });
    const pendingIds = async () => {
      const pending: string[] = [];
      for (const { id } of accepted) {
        const response = await client.inject({ method: 'GET', url: `/orders/${id}`, headers: customer });
        if (response.statusCode !== 200 || response.json<{ status: string }>().status === 'pending') pending.push(id!);
      }
      return pending;
    };
    const pendingAtReturn = await pendingIds();
    await waitFor(async () => pendingAtReturn.length === 0 || (await pendingIds()).length < pendingAtReturn.length, {
      timeoutMs: Math.max(1000, 5000 - (Date.now() - back)),
      intervalMs: 100,
      message: `none of the ${pendingAtReturn.length} orders still pending at the return moved on within 5 s of it`,
    });
    // Then every order accepted before the crash is handled. Draining them is work in proportion to their number: on a
    // 2-core machine loaded by other work (load 6) it once took over 5 s, and failed the suite. A stall (workers
    // sleeping out their backoff) fails the check above; this one catches an order left pending. The time it took is
    // printed at the end.
    await waitFor(async () => (await pendingIds()).length === 0, { timeoutMs: 30_000, intervalMs: 100, message: 'orders accepted before the crash still pending 30 s after the database came back' });
    const settledAfterMs = Date.now() - back;

    // Nothing lost, nothing doubled, nothing half-written: the read model lists exactly the accepted orders, once each,
    // and the stock counts exactly the confirmed ones as sold with no reservation left hanging.
    const statuses = await Promise.all(accepted.map(async ({ id }) => (await shopApi.getOrder(id!, customer)).status));
    expect(statuses.every((status) => status === 'confirmed'), statuses.join(',')).toBe(true);
    let history: string[] = [];
    await waitFor(
      async () => {
        history = (await shopApi.myOrders(customer)).orders.filter((entry) => entry.status === 'confirmed').map((entry) => entry.orderId);
        return history.length >= accepted.length;
      },
      { timeoutMs: 5000, intervalMs: 100 },
    ).catch(() => undefined);
    // Every accepted order is there once. An order whose COMMIT reached the server as it went down may be stored
    // though its request was answered 503 (the app cannot know the commit's outcome; a retry with the same
    // Idempotency-Key resolves it): such an order must then be whole too, confirmed and counted in the stock. A CI run
    // once had 81 for 80 accepted.
    const acceptedIds = accepted.map(({ id }) => id!);
    expect(new Set(history).size, 'an order listed twice').toBe(history.length);
    expect(acceptedIds.filter((id) => !history.includes(id)), 'accepted orders missing from the history').toEqual([]);
    const ambiguous = history.filter((id) => !acceptedIds.includes(id));
    expect(ambiguous.length, 'stored orders beyond the 503 answers').toBeLessThanOrEqual(results.filter((result) => result.status === 503).length);
    for (const id of ambiguous) expect((await shopApi.getOrder(id, customer)).status).toBe('confirmed');
    await shopApi.expectStockEventually(product.id, { onHand: 10_000 - history.length, reserved: 0, available: 10_000 - history.length }, 5000);

    // Told once: one warning when it started, one info when it ended, and no error lines for the requests in between.
    await waitFor(() => lines.some((line) => line.msg === 'database available again'), { timeoutMs: 5000 });
    const outageLines = lines.slice(crashLine);
    expect(outageLines.filter((line) => line.msg === 'database unavailable; requests that need it answer 503 until it is back')).toHaveLength(1);
    expect(outageLines.filter((line) => line.msg === 'database available again')).toHaveLength(1);
    expect(outageLines.filter((line) => (line.level as number) >= 40).map((line) => line.msg)).toEqual(['database unavailable; requests that need it answer 503 until it is back']);
    process.stdout.write(`outage: ${accepted.length} accepted, ${results.filter((result) => result.status === 503).length} answered 503; CPU ${(share * 100).toFixed(1)} % of a core while down; settled ${settledAfterMs} ms after the return\n`);
  }, 90_000);
});

async function timed(request: () => Promise<ShopResponse>): Promise<{ response: ShopResponse; ms: number }> {
  const started = performance.now();
  const response = await request();
  return { response, ms: performance.now() - started };
}
