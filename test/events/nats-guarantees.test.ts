import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { deleteStream, runPrefix } from '../support/nats-apps.ts';
import { natsForTests, natsServerBinary, OwnNatsServer, type TestNats } from '../support/nats-server.ts';
import { probeSystem, type ProbeSystem } from '../support/probe-modules.ts';
import { killAllProbeProcesses, ProbeProcess } from '../support/probe-process.ts';
import { adminDatabase, compareIds, OutboxView, ProbeView, sleep } from '../support/probe-views.ts';
import { testDatabaseUrl } from '../support/test-app.ts';
import { schemaName } from '#platform/db/database-names.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * docs/events.md's guarantees with the producer and the subscriber in processes of their own and the events over
 * NATS JetStream: each test kills or doubles something mid-stream, then checks that every event the producer
 * committed was handled exactly once by every subscriber, in publish order per key.
 */
const nats = await natsForTests();
const binary = natsServerBinary();
if (nats.skipped) console.warn(`NATS guarantee tests skipped: ${nats.skipped}`);

const TIMEOUT_MS = 90_000;
let observer: Kysely<unknown>;

beforeAll(() => {
  observer = adminDatabase(testDatabaseUrl());
});
// Each test's processes go with it: the next one counts the instances connected to the database.
afterEach(() => killAllProbeProcesses());
afterAll(async () => {
  await observer?.destroy();
  await nats.stop();
});

/** One probe system (its own names, so its own stream and consumers) and the environment of its processes. */
function system(kind: string, natsUrl: string, subscribers = 1): { probes: ProbeSystem; env: (role: 'producer' | 'subscribers', extra?: Record<string, string>) => Record<string, string> } {
  const prefix = runPrefix(kind);
  const migrationsDir = mkdtempSync(path.join(os.tmpdir(), `seams-${kind}-migrations-`));
  const probes = probeSystem(prefix, subscribers, undefined, { migrationsDir });
  return {
    probes,
    env: (role, extra = {}) => ({
      DATABASE_URL: testDatabaseUrl(),
      PROBE_PREFIX: prefix,
      PROBE_SUBSCRIBERS: String(subscribers),
      PROBE_MIGRATIONS_DIR: migrationsDir,
      PROBE_ROLE: role,
      NATS_URL: natsUrl,
      // Small batches: a kill lands in the middle of the relay's, the receivers' and the workers' work.
      EVENTS_BATCH_SIZE: '10',
      EVENTS_POLL_INTERVAL_MS: '200',
      ...extra,
    }),
  };
}

/** Sessions on the test's database, from any process, whose application_name is this. */
async function sessionsNamed(applicationName: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
    where datname = current_database() and application_name = ${applicationName}`.execute(observer);
  return rows[0]!.n;
}

/** Waits until the database has `instances` NATS lease connections: a killed instance's sessions have ended. */
async function instancesConnected(instances: number): Promise<void> {
  await waitFor(async () => (await sessionsNamed('seams:nats-leases')) <= instances, { timeoutMs: 15_000, message: 'the killed instance still has sessions' });
}

/** Sessions of a module's pool (application_name `seams:<schema>`) on the test's database, from any process. */
const moduleSessions = (module: string) => sessionsNamed(`seams:${schemaName(module)}`);

/** Every committed event handled once by every subscriber, each key's events in publish order, nothing parked. */
async function expectEveryEventOnceInOrder(probes: ProbeSystem): Promise<number> {
  const committed = await new OutboxView(observer, probes.producer).ids();
  for (const name of probes.subscribers) {
    const sink = new ProbeView(observer, name);
    await waitFor(async () => (await sink.stats()).rows >= committed.length, {
      timeoutMs: TIMEOUT_MS,
      message: `${name} did not handle every event: ${JSON.stringify(await sink.stats())} of ${committed.length}`,
    });
  }
  await sleep(500);
  for (const name of probes.subscribers) {
    const sink = new ProbeView(observer, name);
    const effects = await sink.effects();
    expect(await sink.stats()).toEqual({ rows: committed.length, distinct: committed.length });
    expect(compareIds(committed, effects.map((effect) => effect.event_id))).toEqual({ missing: 0, unexpected: 0 });
    const lastByKey = new Map<string, number>();
    const outOfOrder: string[] = [];
    for (const effect of effects) {
      if ((lastByKey.get(effect.key) ?? -1) > effect.n) outOfOrder.push(`${effect.key}: ${effect.n} after ${lastByKey.get(effect.key)}`);
      lastByKey.set(effect.key, Math.max(effect.n, lastByKey.get(effect.key) ?? -1));
    }
    expect(outOfOrder).toEqual([]);
    expect(await sink.parked()).toEqual([]);
  }
  return committed.length;
}

describe.skipIf(nats.skipped !== undefined)('across processes over NATS JetStream', () => {
  const url = nats.url!;
  const streams: string[] = [];
  afterAll(async () => {
    for (const producer of streams) await deleteStream(url, producer);
  });

  it('loses nothing and applies nothing twice when the producer is killed with SIGKILL mid-stream', { timeout: 120_000 }, async () => {
    const { probes, env } = system('natk', url);
    streams.push(probes.producer);
    const subscriber = new ProbeProcess('subscriber', env('subscribers'));
    await subscriber.ready(30_000);
    const doomed = new ProbeProcess('doomed', env('producer', { PROBE_PUBLISH: '600', PROBE_PUBLISH_LANES: '4', PROBE_PUBLISH_INTERVAL_MS: '2' }));
    await doomed.ready(30_000);
    await doomed.waitForLine((line) => line.probe === 'published' && (line.count ?? 0) >= 150, 30_000);
    const sink = new ProbeView(observer, probes.subscribers[0]!);
    await waitFor(async () => (await sink.stats()).rows >= 20, { timeoutMs: 20_000, message: 'nothing arrived before the kill' });
    // The producer's own sessions, counted while it runs, so that the wait for them to end below is not vacuous.
    expect(await moduleSessions(probes.producer)).toBeGreaterThan(0);
    doomed.kill('SIGKILL');
    expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });
    // What the subscriber had when the producer died: read now, before the waits below give it time to catch up.
    const handledAtKill = (await sink.stats()).rows;
    await instancesConnected(1);
    // A COMMIT the producer sent just before it died still lands after its death: count the outbox only once the
    // server has ended every session of the dead producer (a CI run once counted 256 and then handled 257).
    await waitFor(async () => (await moduleSessions(probes.producer)) === 0, { timeoutMs: 15_000, message: 'the killed producer still has sessions' });
    const before = (await new OutboxView(observer, probes.producer).ids()).length;
    expect(before).toBeLessThan(600);
    expect(handledAtKill).toBeLessThan(before);

    // A new producer instance: its relay goes on from the cursor the dead one left, and it publishes some more.
    const successor = new ProbeProcess('successor', env('producer', { PROBE_PUBLISH: '100', PROBE_PUBLISH_LANES: '2' }));
    await successor.ready(30_000);
    await successor.waitForLine((line) => line.probe === 'published' && line.count === 100, 30_000);
    const total = await expectEveryEventOnceInOrder(probes);
    expect(total).toBe(before + 100);
    console.info(`producer killed after ${before} committed events; all ${total} handled once, in order per key`);
  });

  it('loses nothing and applies nothing twice when the subscriber is killed with SIGKILL mid-stream', { timeout: 120_000 }, async () => {
    const { probes, env } = system('nats9', url, 2);
    streams.push(probes.producer);
    // Slow handlers, so the kill lands in the middle of the workers' and receivers' batches.
    const doomed = new ProbeProcess('doomed', env('subscribers', { PROBE_HANDLER_DELAY_MS: '3' }));
    await doomed.ready(30_000);
    const producer = new ProbeProcess('producer', env('producer', { PROBE_PUBLISH: '500', PROBE_PUBLISH_LANES: '4', PROBE_PUBLISH_INTERVAL_MS: '2' }));
    await producer.ready(30_000);
    const sinks = probes.subscribers.map((name) => new ProbeView(observer, name));
    await waitFor(async () => (await sinks[0]!.stats()).rows >= 60, { timeoutMs: 30_000, message: 'nothing handled before the kill' });
    doomed.kill('SIGKILL');
    expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await instancesConnected(1);
    const handledBefore = (await sinks[0]!.stats()).rows;

    const successor = new ProbeProcess('successor', env('subscribers'));
    await successor.ready(30_000);
    await producer.waitForLine((line) => line.probe === 'published' && line.count === 500, 60_000);
    const total = await expectEveryEventOnceInOrder(probes);
    expect(total).toBe(500);
    expect(handledBefore).toBeLessThan(total);
    console.info(`subscriber killed after ${handledBefore} handled events; all ${total} handled once, in order per key`);
  });

  it('keeps every event, once and in order, with two instances of the subscriber at once', { timeout: 120_000 }, async () => {
    const { probes, env } = system('nats2', url, 2);
    streams.push(probes.producer);
    const first = new ProbeProcess('first', env('subscribers', { PROBE_PARTITIONS: '2' }));
    const second = new ProbeProcess('second', env('subscribers', { PROBE_PARTITIONS: '2' }));
    await Promise.all([first.ready(30_000), second.ready(30_000)]);
    const producer = new ProbeProcess('producer', env('producer', { PROBE_PARTITIONS: '2', PROBE_PUBLISH: '600', PROBE_PUBLISH_LANES: '4', PROBE_PUBLISH_INTERVAL_MS: '1' }));
    await producer.ready(30_000);
    await producer.waitForLine((line) => line.probe === 'published' && line.count === 600, 60_000);
    const total = await expectEveryEventOnceInOrder(probes);
    expect(total).toBe(600);
    // Both instances did some of the work (the receivers' partitions and the workers' are spread by lease).
    first.send('summary');
    second.send('summary');
    const invocations = await Promise.all([first, second].map(async (instance) => (await instance.waitForLine((line) => line.probe === 'summary')).invocations ?? {}));
    console.info(`two subscriber instances: handler calls ${JSON.stringify(invocations)}`);
  });
});

describe.skipIf(!binary)('across processes while NATS restarts', () => {
  let server: TestNats & { pause(): Promise<void>; resume(): Promise<void> };

  beforeAll(async () => {
    // Restarted by the test: a server of its own, on a free port with a store of its own, never the machine's.
    server = await OwnNatsServer.start(binary);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('loses nothing and applies nothing twice when NATS is killed and started again mid-stream', { timeout: 120_000 }, async () => {
    const { probes, env } = system('natr', server.url!, 2);
    const subscriber = new ProbeProcess('subscriber', env('subscribers'));
    await subscriber.ready(30_000);
    const producer = new ProbeProcess('producer', env('producer', { PROBE_PUBLISH: '600', PROBE_PUBLISH_LANES: '4', PROBE_PUBLISH_INTERVAL_MS: '3' }));
    await producer.ready(30_000);
    const sink = new ProbeView(observer, probes.subscribers[0]!);
    await waitFor(async () => (await sink.stats()).rows >= 50, { timeoutMs: 30_000, message: 'nothing arrived before the restart' });
    await server.pause();
    const atKill = (await sink.stats()).rows;
    await sleep(1500);
    // Publishing went on: the events wait in the outbox.
    await server.resume();
    await producer.waitForLine((line) => line.probe === 'published' && line.count === 600, 60_000);
    const total = await expectEveryEventOnceInOrder(probes);
    expect(total).toBe(600);
    expect(atKill).toBeLessThan(total);
    console.info(`NATS killed after ${atKill} handled events, started again 1.5 s later; all ${total} handled once, in order per key`);
  });
});
