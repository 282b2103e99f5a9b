import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsForTests } from '../support/nats-server.ts';
import { deleteStream, producerApp, runPrefix, subscriberApp, type ProducerApp } from '../support/nats-apps.ts';
import { probeSystem } from '../support/probe-modules.ts';
import { sleep } from '../support/probe-views.ts';
import { tokens } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

const nats = await natsForTests();
if (nats.skipped) console.warn(`NATS tests skipped: ${nats.skipped}`);

describe.skipIf(nats.skipped !== undefined)('a failing handler in the subscriber\'s process, with the event from another process', () => {
  const MAX_ATTEMPTS = 3;
  const faults = new Set<string>();
  const attempts = new Map<string, number>();
  const probes = probeSystem(runPrefix('natsf'), 1, (event) => {
    attempts.set(event.id, event.attempt);
    if (event.payload.note !== undefined && faults.has(event.payload.note)) throw new Error(`injected fault: ${event.payload.note}`);
  });
  let producer: ProducerApp;
  let subscriber: Awaited<ReturnType<typeof subscriberApp>>;

  beforeAll(async () => {
    producer = await producerApp(probes, nats.url!);
    subscriber = await subscriberApp(probes, nats.url!, probes.subscribers, {
      EVENTS_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      EVENTS_RETRY_BASE_MS: '20',
      EVENTS_RETRY_MAX_MS: '100',
    });
  });
  afterAll(async () => {
    await subscriber?.app.close();
    await producer?.app.close();
    await deleteStream(nats.url!, probes.producer);
    await nats.stop();
  });

  it('is retried, becomes a dead letter holding back its key only, and is handled once after a replay', async () => {
    const sink = subscriber.sinks[0]!;
    faults.add('poison');
    const poison = await producer.publish(1, 'k1', 'poison');
    const behind = await producer.publish(2, 'k1');
    const other = await producer.publish(3, 'k2');

    await waitFor(async () => (await sink.parked({ eventId: poison }))[0]?.status === 'dead', { timeoutMs: 15_000, message: 'no dead letter' });
    const dead = (await sink.parked({ eventId: poison }))[0]!;
    expect(dead.attempts).toBe(MAX_ATTEMPTS);
    expect(dead.last_error).toContain('injected fault: poison');
    await waitFor(async () => (await sink.parked({ eventId: behind }))[0]?.status === 'waiting', { timeoutMs: 5000, message: 'same key not held back' });
    await waitFor(async () => (await sink.effects({ eventId: other })).length === 1, { timeoutMs: 5000, message: 'other key held back' });
    expect(await sink.effects({ key: 'k1' })).toEqual([]);

    // The subscriber's admin API sees it, and a replay after the fault is gone handles it, then the one behind it.
    const admin = tokens(subscriber.app).admin;
    const letters = await subscriber.app.inject({ method: 'GET', url: '/admin/events/dead-letters', headers: admin });
    expect(letters.json<{ deadLetters: unknown[] }>().deadLetters).toEqual([expect.objectContaining({ eventId: poison, waitingBehind: 1 })]);
    faults.delete('poison');
    const replay = await subscriber.app.inject({
      method: 'POST',
      url: '/admin/events/dead-letters/replay',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: { module: probes.subscribers[0] },
    });
    expect(replay.json()).toEqual({ replayed: 1 });
    await waitFor(async () => (await sink.effects({ key: 'k1' })).length === 2, { timeoutMs: 10_000, message: 'not handled after the replay' });
    await sleep(200);
    expect((await sink.effects({ key: 'k1' })).map((effect) => effect.event_id)).toEqual([poison, behind]);
    expect(await sink.parked()).toEqual([]);
    expect(await sink.stats()).toEqual({ rows: 3, distinct: 3 });

    // Lag, as the admin API reports it, is read from the received table: nothing pending now.
    const status = await subscriber.app.inject({ method: 'GET', url: '/admin/events/subscriptions', headers: admin });
    expect(status.json<{ subscriptions: unknown[] }>().subscriptions).toEqual([expect.objectContaining({ pending: 0, dead: 0 })]);
  });
});
