import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnNatsServer, natsServerBinary } from '../support/nats-server.ts';
import { producerApp, runPrefix, subscriberApp, type ProducerApp } from '../support/nats-apps.ts';
import { probeSystem } from '../support/probe-modules.ts';
import { adminDatabase, OutboxView, sleep } from '../support/probe-views.ts';
import { tokens } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import type { Kysely } from 'kysely';
import { EventAdmin } from '#platform/events/event-admin.ts';

// This test stops and starts its NATS server, so it needs one of its own, not the machine's shared one.
const binary = natsServerBinary();
if (!binary) console.warn('NATS outage test skipped: no nats-server binary on PATH to start a server of its own');

describe.skipIf(!binary)('while NATS is down', () => {
  const probes = probeSystem(runPrefix('natso'), 1);
  let server: OwnNatsServer;
  let producer: ProducerApp;
  let subscriber: Awaited<ReturnType<typeof subscriberApp>>;

  let adminDb: Kysely<unknown>;

  beforeAll(async () => {
    server = await OwnNatsServer.start(binary);
    producer = await producerApp(probes, server.url);
    adminDb = adminDatabase(producer.app.databaseUrl);
    subscriber = await subscriberApp(probes, server.url);
  });
  afterAll(async () => {
    // Before the producer's app drops the database it is on.
    await adminDb?.destroy();
    await subscriber?.app.close();
    await producer?.app.close();
    await server?.stop();
  });

  it('publishing still commits to the outbox, and the events arrive by themselves once NATS is back', async () => {
    const sink = subscriber.sinks[0]!;
    await producer.publish(0, 'before');
    await waitFor(async () => (await sink.effects({ key: 'before' })).length === 1, { timeoutMs: 15_000, message: 'first event did not arrive' });

    await server.pause();
    const ids: string[] = [];
    for (let n = 1; n <= 20; n++) ids.push(await producer.publish(n, `outage-${n % 3}`));
    // Committed: in the outbox, and none of it could have crossed.
    const outbox = await new OutboxView(producer.db).ids();
    for (const id of ids) expect(outbox).toContain(id);
    await sleep(500);
    expect(await sink.effects({ keyPrefix: 'outage-' })).toEqual([]);
    // Retention with no grace at all: the producer's process has no local subscriber, only the relay, whose cursor
    // keeps what it has not sent.
    const admin = new EventAdmin(adminDb, [], [probes.producer]);
    await admin.applyRetention(0);
    const kept = await new OutboxView(producer.db).ids();
    for (const id of ids) expect(kept).toContain(id);

    // The lag is in /metrics: the relay has not sent the 20 events, and the oldest is as old as the outage.
    const relayLag = async () => {
      const response = await producer.app.inject({ method: 'GET', url: '/metrics', headers: tokens(producer.app).admin });
      expect(response.statusCode).toBe(200);
      const sample = (name: string) => Number(new RegExp(`^${name}\\{[^}]*module="${probes.producer}"[^}]*\\} (\\S+)$`, 'm').exec(response.body)?.[1]);
      return { pending: sample('seams_events_relay_pending'), seconds: sample('seams_events_relay_lag_seconds') };
    };
    const during = await relayLag();
    expect(during.pending).toBeGreaterThanOrEqual(20);
    expect(during.seconds).toBeGreaterThan(0.4);

    await server.resume();
    await waitFor(async () => (await sink.stats({ keyPrefix: 'outage-' })).rows >= 20, { timeoutMs: 30_000, message: 'events did not arrive after NATS came back' });
    await sleep(300);
    expect(await sink.stats({ keyPrefix: 'outage-' })).toEqual({ rows: 20, distinct: 20 });
    for (const key of ['outage-0', 'outage-1', 'outage-2']) {
      const ns = (await sink.effects({ key })).map((effect) => effect.n);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
    }
    // Caught up: nothing left to send.
    expect(await relayLag()).toEqual({ pending: 0, seconds: 0 });
    // Sent now: the same retention lets them go.
    await new EventAdmin(adminDb, [], [probes.producer]).applyRetention(0);
    expect(await new OutboxView(producer.db).ids()).toEqual([]);
  });
});
