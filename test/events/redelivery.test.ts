import { beforeAll, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { useApp } from '#testing';
import type { Publisher } from '#platform/events/publisher.ts';
import { probeSystem } from '../support/probe-modules.ts';
import { OutboxView, ProbeView, sleep } from '../support/probe-views.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * Delivery is at least once; the inbox makes the effect exactly once. Rewinding a subscriber's cursor makes it read
 * every event again, as a redelivery would: nothing may be applied twice, on the optimistic path (a batch where every
 * handler succeeds) or on the safe path (a batch redone event by event because one handler failed).
 */
const N = 30;
/** Notes for which the first subscriber fails on the first attempt. */
const failFirstAttempt = new Set<string>();

const probes = probeSystem('redo', 2, (event, subscriber) => {
  if (subscriber === probes.subscribers[0] && event.attempt === 1 && event.payload.note && failFirstAttempt.has(event.payload.note)) {
    throw new Error('first attempt fails');
  }
});
const app = useApp({ modules: probes.modules, migrationsDir: probes.migrationsDir, env: { EVENTS_RETRY_BASE_MS: '20', EVENTS_RETRY_MAX_MS: '50' } });
let producerDb: Kysely<unknown>;
let events: Publisher;
let sinks: ProbeView[];
let outbox: OutboxView;

beforeAll(async () => {
  producerDb = app.module(probes.producer).db();
  events = app.module(probes.producer).events;
  sinks = probes.subscribers.map((name) => new ProbeView(app.module(name).db()));
  outbox = new OutboxView(producerDb);
});

const publish = (n: number, key: string, note?: string) =>
  producerDb.transaction().execute((trx) => events.publish(trx, probes.Pinged, note ? { n, key, note } : { n, key }));

/** Waits until the subscriber's cursor has reached the end of the outbox: it has read (again) every event. */
async function caughtUp(sink: ProbeView): Promise<void> {
  await waitFor(
    async () => {
      const [last, cursors] = await Promise.all([outbox.last(), sink.cursors()]);
      return cursors.every((cursor) => cursor.xid === last?.xid && cursor.seq === last?.seq);
    },
    { timeoutMs: 5000, message: 'the rewound cursor never caught up' },
  );
}

it('applies nothing twice when a subscriber reads every event again', async () => {
  for (let n = 1; n <= N; n++) await publish(n, `key-${n % 4}`);
  for (const sink of sinks) await waitFor(async () => (await sink.stats()).rows === N, { timeoutMs: 5000 });
  expect(await sinks[0]!.inboxSize()).toBe(N);

  expect(await sinks[0]!.rewindCursors()).toBe(1);
  expect((await sinks[0]!.cursors())[0]!.xid).toBe('0');
  // A new event wakes the subscriber, which reads from the start.
  const wake = await publish(N + 1, 'wake');
  await caughtUp(sinks[0]!);
  await waitFor(async () => (await sinks[0]!.effects({ eventId: wake })).length === 1, { timeoutMs: 5000 });
  await sleep(100);
  expect(await sinks[0]!.stats()).toEqual({ rows: N + 1, distinct: N + 1 });
  expect(await sinks[0]!.inboxSize()).toBe(N + 1);
  // The other subscriber, not rewound, is untouched.
  await waitFor(async () => (await sinks[1]!.stats()).rows === N + 1, { timeoutMs: 5000 });
  expect(await sinks[1]!.stats()).toEqual({ rows: N + 1, distinct: N + 1 });
});

it('applies nothing twice when the re-read batch is redone event by event and an event is retried', async () => {
  const before = (await sinks[0]!.stats()).rows;
  expect(await sinks[0]!.rewindCursors()).toBe(1);
  // This one fails in the batch that re-reads everything, so that batch is redone under savepoints, then parked and
  // retried; everything before it must be skipped by the inbox on both passes.
  failFirstAttempt.add('trip');
  const trip = await publish(0, 'trip', 'trip');
  await caughtUp(sinks[0]!);
  await waitFor(async () => (await sinks[0]!.effects({ eventId: trip })).length === 1, { timeoutMs: 5000, message: 'the failing event was never retried' });
  await sleep(100);
  expect((await sinks[0]!.effects({ eventId: trip }))[0]!.attempt).toBe(2);
  expect(await sinks[0]!.stats()).toEqual({ rows: before + 1, distinct: before + 1 });
  expect(await sinks[0]!.parked()).toEqual([]);
});
