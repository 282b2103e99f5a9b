import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { useApp } from '#testing';
import type { Publisher } from '#platform/events/publisher.ts';
import pg from 'pg';
import { tokens } from '../support/test-app.ts';
import { probeSystem, type ProbeTables } from '../support/probe-modules.ts';
import { waitFor } from '../support/wait-for.ts';

let auth: { authorization: string };
/** Keys whose events the first subscriber refuses, until the test lets them through. */
const refused = new Set<string>();
const probes = probeSystem('adm', 2, (event, subscriber) => {
  if (subscriber.endsWith('sink1') && refused.has(event.payload.key)) throw new Error(`refusing ${event.payload.key}`);
});
const app = useApp({
  modules: probes.modules,
  migrationsDir: probes.migrationsDir,
  env: { EVENTS_MAX_ATTEMPTS: '2', EVENTS_RETRY_BASE_MS: '10', EVENTS_RETRY_MAX_MS: '20' },
});
let producerDb: Kysely<unknown>;
let events: Publisher;
const sink1 = () => app.module(probes.subscribers[0]!).db<ProbeTables>();

beforeAll(async () => {
  auth = tokens(app).admin;
  producerDb = app.module(probes.producer).db();
  events = app.module(probes.producer).events;
});

const publish = (n: number, key: string) => producerDb.transaction().execute((trx) => events.publish(trx, probes.Pinged, { n, key }));
/** An admin token signed with another secret. */
function forgedAdminToken(): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: 'mallory', roles: ['admin'] })}`;
  return `${unsigned}.${createHmac('sha256', 'some-other-secret').update(unsigned).digest('base64url')}`;
}

async function subscriptionStatus(module: string) {
  const response = await app.inject({ method: 'GET', url: '/admin/events/subscriptions', headers: auth });
  expect(response.statusCode).toBe(200);
  return response.json<{ subscriptions: Array<{ module: string; pending: number; oldestUnhandledAgeMs: number }> }>().subscriptions.find((entry) => entry.module === module)!;
}
const effects = (key: string) => sink1().selectFrom('effects').select(['n']).where('key', '=', key).orderBy('id').execute();

async function deadLetters(query = '') {
  const response = await app.inject({ method: 'GET', url: `/admin/events/dead-letters${query}`, headers: auth });
  expect(response.statusCode).toBe(200);
  return response.json<{ deadLetters: Array<{ id: string; event: string; key: string; attempts: number; lastError: string; waitingBehind: number; subscription: string }> }>().deadLetters;
}

describe('admin API for events', () => {
  it('answers 401 problem+json without a token or with a forged one, and 403 to a customer', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-a-jwt' }, { authorization: `Bearer ${forgedAdminToken()}` }]) {
      const response = await app.inject({ method: 'GET', url: '/admin/events/subscriptions', headers });
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    const customer = await app.inject({ method: 'GET', url: '/admin/events/subscriptions', headers: tokens(app).customer });
    expect(customer.statusCode).toBe(403);
  });

  it('lists a dead letter with its error and the events held behind it, and replays it so the key moves on in order', async () => {
    const key = `dead-${Date.now()}`;
    refused.add(key);
    await publish(1, key);
    await publish(2, key);
    await waitFor(async () => (await deadLetters()).some((letter) => letter.key === key), { message: 'no dead letter appeared' });

    const letter = (await deadLetters()).find((candidate) => candidate.key === key)!;
    expect(letter).toMatchObject({ event: probes.Pinged.name, attempts: 2, waitingBehind: 1, subscription: probes.Pinged.name });
    expect(letter.lastError).toContain(`refusing ${key}`);
    expect(await effects(key)).toEqual([]);

    const status = await app.inject({ method: 'GET', url: '/admin/events/subscriptions', headers: auth });
    const sinkStatus = status.json().subscriptions.find((entry: { module: string }) => entry.module === probes.subscribers[0]);
    expect(sinkStatus).toMatchObject({ dead: 1, waiting: 1 });
    expect(sinkStatus.oldestUnhandledAgeMs).toBeGreaterThan(0);

    refused.delete(key);
    const replay = await app.inject({ method: 'POST', url: `/admin/events/dead-letters/${letter.id}/replay`, headers: auth });
    expect(replay.statusCode).toBe(202);
    expect(replay.json()).toEqual({ replayed: 1 });
    await waitFor(async () => (await effects(key)).length === 2, { message: 'replayed events were not handled' });
    expect((await effects(key)).map((row) => row.n)).toEqual([1, 2]);
    expect((await deadLetters()).some((candidate) => candidate.key === key)).toBe(false);
  });

  it('replays all dead letters of a subscription at once', async () => {
    const keys = [`all-a-${Date.now()}`, `all-b-${Date.now()}`];
    for (const key of keys) refused.add(key);
    for (const key of keys) await publish(1, key);
    await waitFor(async () => (await deadLetters()).filter((letter) => keys.includes(letter.key)).length === 2);
    for (const key of keys) refused.delete(key);

    const replay = await app.inject({ method: 'POST', url: '/admin/events/dead-letters/replay', headers: auth, payload: { module: probes.subscribers[0] } });
    expect(replay.statusCode).toBe(202);
    expect(replay.json().replayed).toBeGreaterThanOrEqual(2);
    for (const key of keys) await waitFor(async () => (await effects(key)).length === 1);
  });

  it('answers 404 for a dead letter that does not exist and 400 for a malformed id', async () => {
    const missing = await app.inject({ method: 'POST', url: `/admin/events/dead-letters/${probes.subscribers[0]}:999999/replay`, headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('DEAD_LETTER_NOT_FOUND');
    const malformed = await app.inject({ method: 'POST', url: '/admin/events/dead-letters/nonsense/replay', headers: auth });
    expect(malformed.statusCode).toBe(400);
  });

  it('shows a lagging subscription as pending with the age of its oldest event, and caught up once it catches up', async () => {
    // Holding the subscription's lease from outside stands in for a slow or stuck consumer.
    const holder = new pg.Client({ connectionString: app.databaseUrl });
    await holder.connect();
    const lock = [`seams:${probes.subscribers[1]}:${probes.Pinged.name}`, 0];
    await holder.query('select pg_advisory_lock(hashtext($1), $2)', lock);
    const key = `lag-${Date.now()}`;
    try {
      for (let n = 1; n <= 3; n++) await publish(n, key);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const lagging = await subscriptionStatus(probes.subscribers[1]!);
      expect(lagging.pending).toBe(3);
      expect(lagging.oldestUnhandledAgeMs).toBeGreaterThanOrEqual(50);
    } finally {
      await holder.query('select pg_advisory_unlock(hashtext($1), $2)', lock);
      await holder.end();
    }
    await publish(4, key);
    await waitFor(async () => (await subscriptionStatus(probes.subscribers[1]!)).pending === 0, { message: 'the subscription did not catch up' });
  });

  it('discards a dead letter with a reason: it leaves the list, is kept with the reason, and the event waiting behind it is handled', async () => {
    const key = `discard-${Date.now()}`;
    refused.add(key);
    await publish(1, key);
    await waitFor(async () => (await deadLetters()).some((letter) => letter.key === key), { message: 'no dead letter appeared' });
    await publish(2, key);
    await waitFor(async () => (await deadLetters()).find((letter) => letter.key === key)?.waitingBehind === 1, { message: 'the second event did not wait behind the first' });
    const letter = (await deadLetters()).find((candidate) => candidate.key === key)!;
    expect(Date.parse((letter as unknown as { lastFailedAt: string }).lastFailedAt)).toBeGreaterThan(0);
    refused.delete(key);

    const noReason = await app.inject({ method: 'POST', url: `/admin/events/dead-letters/${letter.id}/discard`, headers: auth, payload: { reason: '' } });
    expect(noReason.statusCode).toBe(400);
    const customer = await app.inject({ method: 'POST', url: `/admin/events/dead-letters/${letter.id}/discard`, headers: tokens(app).customer, payload: { reason: 'x' } });
    expect(customer.statusCode).toBe(403);
    const discard = await app.inject({ method: 'POST', url: `/admin/events/dead-letters/${letter.id}/discard`, headers: auth, payload: { reason: 'sent by a test, never valid' } });
    expect(discard.statusCode).toBe(200);
    expect(discard.json()).toEqual({ discarded: true });

    expect((await deadLetters()).some((candidate) => candidate.key === key)).toBe(false);
    // Only the event behind it ran: the discarded one never had an effect.
    await waitFor(async () => (await effects(key)).length === 1, { message: 'the event behind the discarded one was not handled' });
    expect((await effects(key)).map((row) => row.n)).toEqual([2]);
    const kept = await app.inject({ method: 'GET', url: '/admin/events/discarded', headers: auth });
    expect(kept.json().discarded.find((entry: { id: string }) => entry.id === letter.id)).toMatchObject({ reason: 'sent by a test, never valid', discardedBy: 'admin-1', event: probes.Pinged.name });
    const again = await app.inject({ method: 'POST', url: `/admin/events/dead-letters/${letter.id}/discard`, headers: auth, payload: { reason: 'twice' } });
    expect(again.statusCode).toBe(404);
  });

  it('counts the events a subscription handled in the last minute as its throughput', async () => {
    const before = await subscriptionStatus(probes.subscribers[1]!);
    const key = `rate-${Date.now()}`;
    for (let n = 1; n <= 3; n++) await publish(n, key);
    await waitFor(async () => (await subscriptionStatus(probes.subscribers[1]!)).pending === 0);
    const after = (await subscriptionStatus(probes.subscribers[1]!)) as unknown as { handledLastMinute: number };
    expect(after.handledLastMinute - (before as unknown as { handledLastMinute: number }).handledLastMinute).toBeGreaterThanOrEqual(3);
  });
});
