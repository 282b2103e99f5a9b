import { beforeAll, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { useApp } from '#testing';
import type { Publisher } from '#platform/events/publisher.ts';
import { probeSystem } from '../support/probe-modules.ts';
import { ProbeView } from '../support/probe-views.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * A subscription partition is chosen by the hash of the event's key (or, without a key, of its id). Any key must do:
 * one whose hash is the smallest integer has no absolute value in Postgres' int4, and must not wedge the
 * subscription. (A random event id hits that hash once in 2^32 events; this key was found by brute force.)
 */
const KEY_WITH_SMALLEST_HASH = 'p00018qnhc2';

const probes = probeSystem('khash', 1);
const app = useApp({ modules: probes.modules, migrationsDir: probes.migrationsDir });
let producerDb: Kysely<unknown>;
let events: Publisher;
let sink: ProbeView;

beforeAll(async () => {
  producerDb = app.module(probes.producer).db();
  events = app.module(probes.producer).events;
  sink = new ProbeView(app.module(probes.subscribers[0]!).db());
});

it('delivers an event whose key hashes to the smallest int4, and the events after it', async () => {
  const { rows } = await sql<{ hash: number }>`select hashtext(${KEY_WITH_SMALLEST_HASH}) as hash`.execute(producerDb);
  expect(rows[0]!.hash).toBe(-2147483648);

  const odd = await producerDb.transaction().execute((trx) => events.publish(trx, probes.Pinged, { n: 1, key: KEY_WITH_SMALLEST_HASH }));
  const next = await producerDb.transaction().execute((trx) => events.publish(trx, probes.Pinged, { n: 2, key: 'an-ordinary-key' }));
  await waitFor(async () => (await sink.stats()).rows >= 2, { timeoutMs: 3000, message: 'the subscription is stuck on the event whose key hashes to -2^31' });
  expect((await sink.effects()).map((effect) => effect.event_id)).toEqual([odd, next]);
});
