import { beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { useApp } from '#testing';
import type { Publisher } from '#platform/events/publisher.ts';
import { EventPayloadError } from '#platform/events/event-definition.ts';
import { probeSystem, type ProbeTables } from '../support/probe-modules.ts';
import { waitFor } from '../support/wait-for.ts';

const probes = probeSystem('dlv', 2);
const app = useApp({ modules: probes.modules, migrationsDir: probes.migrationsDir });
let producerDb: Kysely<unknown>;
let events: Publisher;
const sinkDb = (i: number) => app.module(probes.subscribers[i]!).db<ProbeTables>();

beforeAll(async () => {
  producerDb = app.module(probes.producer).db();
  events = app.module(probes.producer).events;
});

async function effectsOf(i: number, key: string) {
  return sinkDb(i).selectFrom('effects').selectAll().where('key', '=', key).orderBy('id').execute();
}

describe('publishing', () => {
  it('delivers an event from a committed transaction to every subscriber, once', async () => {
    const key = `commit-${Date.now()}`;
    await producerDb.transaction().execute((trx) => events.publish(trx, probes.Pinged, { n: 1, key }));
    for (const i of [0, 1]) await waitFor(async () => (await effectsOf(i, key)).length === 1);
    // Give a duplicate every chance to show up before asserting there is none.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await effectsOf(0, key)).toHaveLength(1);
    expect(await effectsOf(1, key)).toHaveLength(1);
  });

  it('publishes nothing from a rolled-back transaction', async () => {
    const key = `rollback-${Date.now()}`;
    await expect(
      producerDb.transaction().execute(async (trx) => {
        await events.publish(trx, probes.Pinged, { n: 1, key });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const marker = `after-rollback-${Date.now()}`;
    await producerDb.transaction().execute((trx) => events.publish(trx, probes.Pinged, { n: 2, key: marker }));
    await waitFor(async () => (await effectsOf(0, marker)).length === 1);
    expect(await effectsOf(0, key)).toHaveLength(0);
    const outbox = await sql<{ n: number }>`select count(*)::int as n from seams_outbox where payload->>'key' = ${key}`.execute(producerDb);
    expect(outbox.rows[0]!.n).toBe(0);
  });

  it('rejects a payload that does not match the schema before anything is written', async () => {
    const key = `invalid-${Date.now()}`;
    await expect(
      producerDb.transaction().execute((trx) => events.publish(trx, probes.Pinged, { n: 'one', key } as never)),
    ).rejects.toBeInstanceOf(EventPayloadError);
    const outbox = await sql<{ n: number }>`select count(*)::int as n from seams_outbox where payload->>'key' = ${key}`.execute(producerDb);
    expect(outbox.rows[0]!.n).toBe(0);
  });

  it('refuses to publish outside a transaction', async () => {
    await expect(events.publish(producerDb as never, probes.Pinged, { n: 1, key: 'x' })).rejects.toThrow(/needs a transaction/);
  });

  it('delivers in milliseconds on an idle system, not after a poll interval', async () => {
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const key = `latency-${Date.now()}-${i}`;
      const started = performance.now();
      await producerDb.transaction().execute((trx) => events.publish(trx, probes.Pinged, { n: i, key }));
      await waitFor(async () => (await effectsOf(0, key)).length === 1, { intervalMs: 1 });
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    // The fallback poll is 1 s; pushed delivery must beat it by far even on a loaded CI machine.
    expect(latencies[Math.floor(latencies.length / 2)]).toBeLessThan(100);
  });
});
