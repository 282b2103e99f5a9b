import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '#testing';
import { natsForTests, type TestNats } from '../support/nats-server.ts';
import { probeSystem } from '../support/probe-modules.ts';
import { ProbeView } from '../support/probe-views.ts';
import { runPrefix, TEST_SERVICE_TOKEN } from '../support/nats-apps.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * An event published for later (`clock.at`) keeps its due time when producer and subscriber run in different
 * processes: the relay carries it over NATS, the receiver stores it, and the subscriber waits for it by its own clock.
 */
const nats: TestNats = await natsForTests();

describe.skipIf(nats.skipped !== undefined)(`events due later, across processes${nats.skipped ? ` (skipped: ${nats.skipped})` : ''}`, () => {
  const probes = probeSystem(runPrefix('due'), 1);
  const sinkName = probes.subscribers[0]!;
  let producer: Awaited<ReturnType<typeof startApp>>;
  let subscriber: Awaited<ReturnType<typeof startApp>>;

  beforeAll(async () => {
    const common = { modules: probes.modules, migrationsDir: probes.migrationsDir };
    producer = await startApp({ ...common, env: { MODULES: probes.producer, SERVICE_TOKEN: TEST_SERVICE_TOKEN, NATS_URL: nats.url! } });
    subscriber = await startApp({
      ...common,
      env: {
        MODULES: sinkName,
        // Never called: the probe producer's contract has no methods.
        REMOTE_MODULES: `${probes.producer}=http://127.0.0.1:9`,
        SERVICE_TOKEN: TEST_SERVICE_TOKEN,
        NATS_URL: nats.url!,
      },
    });
  });
  afterAll(async () => {
    await subscriber?.close();
    await producer?.close();
    await nats.stop();
  });

  it('is stored with its due time, held until the subscriber\'s clock reaches it, then handled once', async () => {
    const source = producer.module(probes.producer);
    const due = new Date(producer.clock.now().getTime() + 10 * 60_000);
    const id = await source.db().transaction().execute((trx) => source.events.publish(trx, probes.Pinged, { n: 1, key: 'later' }, { at: due }));
    const sinkDb = subscriber.module(sinkName).db();
    const sink = new ProbeView(sinkDb);

    await waitFor(async () => (await sink.parked({ eventId: id })).some((row) => row.status === 'scheduled'), { timeoutMs: 15_000, message: 'the event never arrived as scheduled' });
    const { rows } = await sql<{ deliver_at: Date | null }>`select deliver_at from seams_received where id = ${id}`.execute(sinkDb);
    expect(rows.map((row) => row.deliver_at?.toISOString())).toEqual([due.toISOString()]);
    expect(await sink.effects({ eventId: id })).toEqual([]);

    subscriber.clock.advance('11m');

    await waitFor(async () => (await sink.effects({ eventId: id })).length > 0, { timeoutMs: 15_000, message: 'never handled once due' });
    expect((await sink.effects({ eventId: id })).map((effect) => effect.n)).toEqual([1]);
  });

  it('is handled at once when published without a due time', async () => {
    const source = producer.module(probes.producer);
    const id = await source.db().transaction().execute((trx) => source.events.publish(trx, probes.Pinged, { n: 2, key: 'now' }));
    const sinkDb = subscriber.module(sinkName).db();
    const sink = new ProbeView(sinkDb);

    await waitFor(async () => (await sink.effects({ eventId: id })).length > 0, { timeoutMs: 15_000, message: 'never handled' });
    const { rows } = await sql<{ deliver_at: Date | null }>`select deliver_at from seams_received where id = ${id}`.execute(sinkDb);
    expect(rows).toEqual([{ deliver_at: null }]);
    expect(await sink.parked({ eventId: id })).toEqual([]);
  });
});
