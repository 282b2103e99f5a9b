import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { testDatabaseUrl } from '../support/test-app.ts';
import { probeSystem } from '../support/probe-modules.ts';
import { killAllProbeProcesses, ProbeProcess } from '../support/probe-process.ts';
import { adminDatabase, compareIds, OutboxView, ProbeView, sleep } from '../support/probe-views.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * An instance is SIGKILLed while it publishes and while its slow handlers are in the middle of batches. A new
 * instance on the same database must take over at once (the advisory lock goes with the dead connection) and handle
 * every event the dead one committed, exactly once.
 */
const TO_PUBLISH = 200;
const KILL_AFTER_PUBLISHED = 60;
const RECOVERY_LIMIT_MS = 20_000;
const TAKEOVER_LIMIT_MS = 5000;
const PREFIX = 'crash';
const migrationsDir = mkdtempSync(path.join(os.tmpdir(), 'seams-crash-migrations-'));
const probes = probeSystem(PREFIX, 2, undefined, { migrationsDir });
let observer: Kysely<unknown>;

beforeAll(() => {
  observer = adminDatabase(testDatabaseUrl());
});
afterAll(async () => {
  await killAllProbeProcesses();
  await observer?.destroy();
});

it('loses nothing and applies nothing twice when an instance is killed mid-batch, and a new one takes over quickly', { timeout: 60_000 }, async () => {
  const env = {
    DATABASE_URL: testDatabaseUrl(),
    PROBE_PREFIX: PREFIX,
    PROBE_SUBSCRIBERS: '2',
    PROBE_MIGRATIONS_DIR: migrationsDir,
    PROBE_HANDLER_DELAY_MS: '20',
    // Small batches: some commit before the kill, one is cut off in the middle.
    EVENTS_BATCH_SIZE: '10',
  };
  const sinks = probes.subscribers.map((name) => new ProbeView(observer, name));
  const outbox = new OutboxView(observer, probes.producer);

  const doomed = new ProbeProcess('doomed', { ...env, PROBE_PUBLISH: String(TO_PUBLISH), PROBE_PUBLISH_INTERVAL_MS: '5' });
  await doomed.ready(30_000);
  const reported = await doomed.waitForLine((line) => line.probe === 'published' && (line.count ?? 0) >= KILL_AFTER_PUBLISHED, 30_000);
  // Handlers are slower than publishing: the subscribers are busy, with some batches committed.
  await waitFor(async () => (await sinks[0]!.stats()).rows >= 10, { timeoutMs: 10_000, message: 'nothing handled before the kill' });
  doomed.kill('SIGKILL');
  expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });
  const lastReported = doomed.last('published')!.count!;
  // A COMMIT the dead process sent just before dying may still be in progress on the server: count only once all of
  // its sessions are gone.
  await waitFor(
    async () => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and application_name like 'seams:%' and application_name <> 'seams:test-observer'`.execute(observer);
      return rows[0]!.n === 0;
    },
    { timeoutMs: 10_000, message: 'the killed instance still has sessions' },
  );
  expect(lastReported).toBeGreaterThanOrEqual(reported.count!);

  // Every event it reported committed is in the outbox, and it died before publishing them all.
  const committed = await outbox.ids();
  expect(committed.length).toBeGreaterThanOrEqual(lastReported);
  expect(committed.length).toBeLessThan(TO_PUBLISH);
  const handledBefore = await Promise.all(sinks.map((sink) => sink.stats()));
  for (const stats of handledBefore) {
    expect(stats.rows).toBe(stats.distinct);
    expect(stats.rows).toBeLessThan(committed.length);
  }

  const started = performance.now();
  const successor = new ProbeProcess('successor', env);
  await successor.ready(RECOVERY_LIMIT_MS);
  // The dead instance's advisory locks went with its connections: the successor's first batches run at once (a lock
  // left behind would hold them until Postgres times the session out, a minute later).
  const readyAt = performance.now();
  await waitFor(async () => (await Promise.all(sinks.map((sink) => sink.stats()))).every((stats, i) => stats.rows > handledBefore[i]!.rows), {
    timeoutMs: TAKEOVER_LIMIT_MS,
    intervalMs: 20,
    message: 'the successor did not take over the subscriptions',
  });
  const takeoverMs = performance.now() - readyAt;
  for (const sink of sinks) {
    await waitFor(async () => (await sink.stats()).rows >= committed.length, {
      timeoutMs: RECOVERY_LIMIT_MS,
      message: `the successor did not finish the work: ${JSON.stringify(await sink.stats())} of ${committed.length}`,
    });
  }
  const recoveryMs = performance.now() - started;
  expect(recoveryMs).toBeLessThan(RECOVERY_LIMIT_MS);
  await sleep(300);

  expect(await outbox.ids()).toHaveLength(committed.length);
  for (const sink of sinks) {
    expect(await sink.stats()).toEqual({ rows: committed.length, distinct: committed.length });
    expect(compareIds(committed, (await sink.effects()).map((effect) => effect.event_id))).toEqual({ missing: 0, unexpected: 0 });
    expect(await sink.parked()).toEqual([]);
  }
  expect(await successor.stop()).toEqual({ code: 0, signal: null });
  console.info(`killed after ${committed.length} committed events (${handledBefore.map((s) => s.rows).join('/')} handled); recovered in ${Math.round(recoveryMs)} ms, took over ${Math.round(takeoverMs)} ms after start-up`);
});
