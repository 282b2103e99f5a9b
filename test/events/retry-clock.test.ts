import { beforeAll, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { Publisher } from '#platform/events/publisher.ts';
import { useApp } from '#testing';
import { probeSystem } from '../support/probe-modules.ts';
import { ProbeView } from '../support/probe-views.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * The app and the database often run on different hosts, whose clocks differ by some milliseconds to seconds. A retry
 * must then still come after its backoff delay, and waiting for it must not turn into a busy loop of batches.
 * The app's clock is set SKEW_MS ahead of the database's here (Date.now only, in this process).
 */
const SKEW_MS = 1000;

const probes = probeSystem('skew', 1, (event) => {
  if (event.attempt === 1) throw new Error('the first attempt fails');
});
const app = useApp({ modules: probes.modules, migrationsDir: probes.migrationsDir, env: { EVENTS_RETRY_BASE_MS: '20', EVENTS_RETRY_MAX_MS: '20' } });
let producerDb: Kysely<unknown>;
let events: Publisher;
let sink: ProbeView;
/** Transactions the subscriber's database has begun: one per batch of its worker (this test starts none). */
let batches = 0;

beforeAll(async () => {
  producerDb = app.module(probes.producer).db();
  events = app.module(probes.producer).events;
  const sinkDb = app.module(probes.subscribers[0]!).db();
  sink = new ProbeView(sinkDb);
  // Counting, not changing: the worker holds this very instance.
  const transaction = sinkDb.transaction.bind(sinkDb);
  sinkDb.transaction = () => {
    batches += 1;
    return transaction();
  };
});

it(`retries after the backoff delay, without a busy loop, when the app's clock is ${SKEW_MS} ms ahead of the database's`, async () => {
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + SKEW_MS;
  try {
    const id = await producerDb.transaction().execute((trx) => events.publish(trx, probes.Pinged, { n: 1, key: 'k' }));
    await waitFor(async () => (await sink.parked({ eventId: id })).length === 1, { timeoutMs: 5000 });
    const parkedAt = performance.now();
    const before = batches;
    await waitFor(async () => (await sink.effects({ eventId: id })).length === 1, { timeoutMs: 5000, message: 'never retried' });
    const waited = performance.now() - parkedAt;
    const spent = batches - before;
    // A retry takes one batch, and a few more may run for other reasons; hundreds mean a busy loop.
    expect(spent, `batches run while waiting ${Math.round(waited)} ms for one retry`).toBeLessThan(20);
    // The delay is 20 ms; a retry a whole skew later follows the clock difference, not the policy.
    expect(waited, 'retry delayed by the clock difference').toBeLessThan(SKEW_MS / 2);
    expect((await sink.effects({ eventId: id }))[0]!.attempt).toBe(2);
  } finally {
    Date.now = realNow;
  }
});
