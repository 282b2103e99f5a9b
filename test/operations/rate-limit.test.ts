import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import { startApp, useApp } from '#testing';
import { testRedis } from '../support/redis-server.ts';

type Inject = Pick<ModuleRouter, 'inject' | 'jwt'>;
const bearer = (app: Inject, sub: string, roles: string[] = []) => ({ authorization: `Bearer ${app.jwt.sign({ sub, roles })}` });
const get = (app: Inject, url: string, options: { headers?: Record<string, string>; from?: string } = {}) =>
  app.inject({ method: 'GET', url, headers: options.headers ?? {}, remoteAddress: options.from ?? '127.0.0.1' });

describe('RATE_LIMIT_PER_MINUTE', () => {
  const app = useApp({ env: { RATE_LIMIT_PER_MINUTE: '5' } });

  it('counts per token subject and answers 429 problem+json with Retry-After and RateLimit-* headers past the limit', async () => {
    const alice = bearer(app, `alice-${randomUUID()}`);
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await get(app, '/me/orders', { headers: alice });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['ratelimit-limit']).toBe('5');
      remaining.push(String(response.headers['ratelimit-remaining']));
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    const refused = await get(app, '/me/orders', { headers: alice });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED', limit: 5 });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    expect(Number(refused.headers['ratelimit-reset'])).toBeGreaterThan(0);

    // Another subject from the same address has a count of its own.
    expect((await get(app, '/me/orders', { headers: bearer(app, `bob-${randomUUID()}`) })).statusCode).toBe(200);
  });

  it('counts requests without a valid token per client address, made-up tokens included', async () => {
    const from = '198.51.100.7';
    for (let i = 0; i < 3; i++) expect((await get(app, '/catalog/products', { from })).statusCode).toBe(200);
    for (let i = 0; i < 2; i++) expect((await get(app, '/me/orders', { from, headers: { authorization: `Bearer made.up.${i}` } })).statusCode).toBe(401);
    expect((await get(app, '/catalog/products', { from })).statusCode).toBe(429);
    expect((await get(app, '/catalog/products', { from: '198.51.100.8' })).statusCode).toBe(200);
  });

  it('never limits /health/* or /metrics', async () => {
    const from = '198.51.100.9';
    for (let i = 0; i < 5; i++) await get(app, '/catalog/products', { from });
    expect((await get(app, '/catalog/products', { from })).statusCode).toBe(429);
    for (let i = 0; i < 10; i++) {
      const live = await get(app, '/health/live', { from });
      expect(live.statusCode).toBe(200);
      expect(live.headers['ratelimit-limit']).toBeUndefined();
      expect((await get(app, '/health/ready', { from })).statusCode).toBe(200);
      // Unauthenticated, so 401 rather than the metrics; but never 429.
      expect((await get(app, '/metrics', { from })).statusCode).toBe(401);
    }
    const admin = bearer(app, `admin-${randomUUID()}`, ['admin']);
    for (let i = 0; i < 8; i++) expect((await get(app, '/metrics', { headers: admin })).statusCode).toBe(200);
  });
});

describe('RATE_LIMIT_PER_MINUTE=0', () => {
  it('turns the limit off', async () => {
    const handle = await startApp({ env: { RATE_LIMIT_PER_MINUTE: '0' } });
    const app = handle.app;
    try {
      for (let i = 0; i < 30; i++) {
        const response = await get(app, '/catalog/products', { from: '203.0.113.1' });
        expect(response.statusCode).toBe(200);
        expect(response.headers['ratelimit-limit']).toBeUndefined();
      }
    } finally {
      await handle.close();
    }
  });
});

const redis = await testRedis();

describe.skipIf(!redis)(`RATE_LIMIT_REDIS_URL (a real Redis${redis ? ` at ${redis.url}` : ': none reachable at 127.0.0.1:6379 and no redis-server installed, skipped'})`, () => {
  // A prefix of this run's own: other test runs on the machine's Redis count elsewhere.
  const env = { RATE_LIMIT_PER_MINUTE: '6', RATE_LIMIT_REDIS_URL: redis?.url ?? '', RATE_LIMIT_REDIS_PREFIX: `seams-test:${randomUUID()}:` };
  afterAll(async () => {
    await redis?.stop();
  });
  // Two instances of one deployment: the second on the first's database.
  const first = useApp({ env });
  const second = useApp(() => ({ env, databaseUrl: first.databaseUrl }));

  it('makes two instances share one limit per caller', async () => {
    const [a, b] = [first, second];
    const carol = bearer(a, `carol-${randomUUID()}`);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await get(i % 2 === 0 ? a : b, '/me/orders', { headers: carol })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
    const last = await get(b, '/me/orders', { headers: carol });
    expect(last.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect(last.headers['ratelimit-limit']).toBe('6');
  });
});
