import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import { sql } from 'kysely';
import { subjectOf } from '#platform/events/nats-connection.ts';
import { partitionOf } from '#platform/events/partitioning.ts';
import type { RelayedEvent } from '#platform/events/nats-relay.ts';
import { natsForTests } from '../support/nats-server.ts';
import { deleteStream, producerApp, runPrefix, subscriberApp, type ProducerApp } from '../support/nats-apps.ts';
import { probeSystem } from '../support/probe-modules.ts';
import { OutboxView, sleep } from '../support/probe-views.ts';
import { waitFor } from '../support/wait-for.ts';

const nats = await natsForTests();
if (nats.skipped) console.warn(`NATS tests skipped: ${nats.skipped}`);

describe.skipIf(nats.skipped !== undefined)('events between a producer and subscribers in other processes, over NATS JetStream', () => {
  const prefix = runPrefix('natsd');
  const probes = probeSystem(prefix, 2);
  let producer: ProducerApp;
  let subscribers: Array<Awaited<ReturnType<typeof subscriberApp>>>;
  const url = nats.url!;

  beforeAll(async () => {
    producer = await producerApp(probes, url);
    // Two instances of the subscriber process, on one database: each consumer is pulled by one of them at a time.
    const first = await subscriberApp(probes, url);
    subscribers = [first, await subscriberApp(probes, url, probes.subscribers, {}, first.app.databaseUrl)];
  });
  afterAll(async () => {
    // The first subscriber owns the database the second one shares: it closes after it.
    for (const app of [...(subscribers ?? []).map((s) => s.app).reverse(), producer?.app]) await app?.close();
    await deleteStream(url, probes.producer);
    await nats.stop();
  });

  it('handles every event exactly once, in publish order per key, under load', async () => {
    const keys = Array.from({ length: 8 }, (_, i) => `load-${i}`);
    const perKey = 40;
    // Eight concurrent publishers, one per key, each publishing its key's events one transaction after another.
    await Promise.all(keys.map(async (key) => {
      for (let n = 1; n <= perKey; n++) await producer.publish(n, key);
    }));
    const total = keys.length * perKey;
    const sinks = subscribers[0]!.sinks;
    for (const sink of sinks) {
      await waitFor(async () => (await sink.stats({ keyPrefix: 'load-' })).rows >= total, { timeoutMs: 60_000, message: 'not every event arrived' });
    }
    await sleep(300);
    for (const sink of sinks) {
      expect(await sink.stats({ keyPrefix: 'load-' })).toEqual({ rows: total, distinct: total });
      for (const key of keys) {
        expect((await sink.effects({ key })).map((effect) => effect.n)).toEqual(Array.from({ length: perKey }, (_, i) => i + 1));
      }
    }
  });

  it('gives a message that NATS delivers twice, or a relay that sends everything again, no second effect', async () => {
    const id = await producer.publish(1, 'dup');
    const sink = subscribers[0]!.sinks[0]!;
    await waitFor(async () => (await sink.effects({ key: 'dup' })).length === 1, { timeoutMs: 15_000 });

    // The same event again on the stream, under another message id so the stream's duplicate window lets it through:
    // what a redelivery after a lost ack, or a relay's second publish after the window, looks like to the receiver.
    const nc = await connect({ servers: url });
    try {
      const outbox = await sql<RelayedEvent & { occurred_at: Date; partition: number }>`select id, name, version, key, payload, occurred_at,
        ${partitionOf('o', 4)} as partition from seams_outbox o where id = ${id}::uuid`.execute(producer.db);
      const row = outbox.rows[0]!;
      const body: RelayedEvent = { id, producer: probes.producer, name: row.name, version: row.version, key: row.key, payload: row.payload, occurredAt: row.occurred_at.toISOString() };
      // On the subjects of the key's partition (EVENTS_NATS_PARTITIONS is 4 by default), where the receivers look.
      const ack = await jetstream(nc).publish(subjectOf(probes.Pinged.name, 1, row.partition), JSON.stringify(body), { msgID: `${id}-again`, headers: headers() });
      expect(ack.duplicate).toBe(false);

      // The relay forgets how far it got and publishes the whole outbox again.
      await sql`update seams_relay_cursors set cursor_xid = '0', cursor_seq = 0`.execute(producer.db);
      // The next commit wakes the relay, which starts again from the beginning of the outbox.
      await producer.publish(2, 'dup');

      // Wait until each subscriber has received everything up to the duplicate: its position in the stream is past it.
      for (const subscriber of probes.subscribers) {
        const db = subscribers[0]!.app.module(subscriber).db();
        await waitFor(
          async () => {
            const { rows } = await sql<{ seq: string }>`select stream_seq::text as seq from seams_received_positions where partition = ${row.partition}`.execute(db);
            return Number(rows[0]?.seq ?? 0) >= ack.seq;
          },
          { timeoutMs: 15_000, message: `the receiver of ${subscriber} did not get past the duplicate` },
        );
      }
      await waitFor(async () => (await sink.effects({ key: 'dup' })).length === 2, { timeoutMs: 15_000 });
      await sleep(300);
      expect((await sink.effects({ key: 'dup' })).map((effect) => effect.n)).toEqual([1, 2]);
      for (const view of subscribers[0]!.sinks) {
        const stats = await view.stats();
        expect(stats.rows).toBe(stats.distinct);
      }
      expect(await new OutboxView(producer.db).ids()).toContain(id);
    } finally {
      await nc.close();
    }
  });

  it('passes over a message on the stream that is not an event, and the partition goes on', async () => {
    const nc = await connect({ servers: url });
    try {
      // On every partition's subjects, both as text that is not JSON and as JSON that is not an event.
      for (let partition = 0; partition < 4; partition++) {
        await jetstream(nc).publish(subjectOf(probes.Pinged.name, 1, partition), 'not an event');
        await jetstream(nc).publish(subjectOf(probes.Pinged.name, 1, partition), JSON.stringify({ hello: 'world' }));
      }
    } finally {
      await nc.close();
    }
    for (let n = 1; n <= 8; n++) await producer.publish(n, `after-junk-${n % 4}`);
    for (const sink of subscribers[0]!.sinks) {
      await waitFor(async () => (await sink.stats({ keyPrefix: 'after-junk-' })).rows >= 8, { timeoutMs: 15_000, message: 'events behind the junk did not arrive' });
      expect(await sink.stats({ keyPrefix: 'after-junk-' })).toEqual({ rows: 8, distinct: 8 });
    }
  });
});
