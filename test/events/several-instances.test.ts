import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { testDatabaseUrl } from '../support/test-app.ts';
import { probeSystem } from '../support/probe-modules.ts';
import { killAllProbeProcesses, ProbeProcess } from '../support/probe-process.ts';
import { adminDatabase, compareIds, OutboxView, ProbeView, sleep } from '../support/probe-views.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * Two app instances, each a process of its own, share one database: both publish at once, both run every
 * subscription (two partitions each). Every event must still be handled once per subscriber, each key in order.
 */
const M = 200;
const LANES = 4;
const KEYS_PER_LANE = 2;
const PREFIX = 'multi';
const NAMES = ['alpha', 'beta'];
const migrationsDir = mkdtempSync(path.join(os.tmpdir(), 'seams-multi-migrations-'));
// The same module names and migrations as the instances use; this process only looks.
const probes = probeSystem(PREFIX, 2, undefined, { partitions: 2, migrationsDir });
let observer: Kysely<unknown>;

beforeAll(() => {
  observer = adminDatabase(testDatabaseUrl());
});
afterAll(async () => {
  await killAllProbeProcesses();
  await observer?.destroy();
});

it(`handles ${2 * M} events published by two instances once per subscriber`, { timeout: 60_000 }, async () => {
  const env = {
    DATABASE_URL: testDatabaseUrl(),
    PROBE_PREFIX: PREFIX,
    PROBE_SUBSCRIBERS: '2',
    PROBE_PARTITIONS: '2',
    PROBE_MIGRATIONS_DIR: migrationsDir,
    PROBE_PUBLISH_LANES: String(LANES),
    PROBE_KEYS_PER_LANE: String(KEYS_PER_LANE),
    EVENTS_BATCH_SIZE: '25',
  };
  // One after the other, so the second finds the schemas migrated; then both publish at once.
  const instances: ProbeProcess[] = [];
  for (const name of NAMES) {
    const instance = new ProbeProcess(name, env);
    instances.push(instance);
    await instance.ready(30_000);
  }
  for (const instance of instances) instance.send(`publish ${M}`);

  const sinks = probes.subscribers.map((name) => new ProbeView(observer, name));
  for (const sink of sinks) {
    await waitFor(async () => (await sink.stats()).rows >= 2 * M, {
      timeoutMs: 40_000,
      message: `not every event was handled: ${JSON.stringify(await sink.stats())}; published: ${JSON.stringify(instances.map((i) => i.last('published')))}`,
    });
  }
  for (const instance of instances) expect(instance.last('published')?.count).toBe(M);
  // Give a duplicate every chance to show up.
  await sleep(300);

  const published = await new OutboxView(observer, probes.producer).ids();
  expect(published).toHaveLength(2 * M);
  for (const sink of sinks) {
    expect(await sink.stats()).toEqual({ rows: 2 * M, distinct: 2 * M });
    const effects = await sink.effects();
    expect(compareIds(published, effects.map((effect) => effect.event_id))).toEqual({ missing: 0, unexpected: 0 });
    // Each key was published by one lane of one instance, in the order of n; it is handled in that order, whichever
    // instance handled which part of it.
    const keys = new Set(effects.map((effect) => effect.key));
    expect(keys.size).toBe(NAMES.length * LANES * KEYS_PER_LANE);
    for (const key of keys) {
      const ns = effects.filter((effect) => effect.key === key).map((effect) => effect.n);
      expect(ns, `order of ${key}`).toEqual([...ns].sort((a, b) => a - b));
    }
  }

  // Both stop cleanly. Who handled what is up to the locks; it is printed for the record.
  const exits = await Promise.all(instances.map((instance) => instance.stop()));
  expect(exits).toEqual(NAMES.map(() => ({ code: 0, signal: null })));
  console.info('handler calls per instance:', JSON.stringify(instances.map((instance) => ({ [instance.name]: instance.last('stopped')?.invocations }))));
});
