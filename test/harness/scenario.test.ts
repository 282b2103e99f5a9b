import { afterAll, describe, expect, it } from 'vitest';
import { useApp } from '#testing';
import { natsForTests } from '../support/nats-server.ts';
import { runPrefix, TEST_SERVICE_TOKEN } from '../support/nats-apps.ts';
import { probeSystem, type ProbeTables } from '../support/probe-modules.ts';

// The scenario API on throw-away probe modules: a producer of Pinged and a subscriber that records each event.
// The fallback poll is set to a minute, so every wait below that ends in time was woken by the bus's signals.
const probes = probeSystem('scn', 1);
const { Pinged } = probes;
const harness = useApp({ modules: probes.modules, migrationsDir: probes.migrationsDir, env: { EVENTS_POLL_INTERVAL_MS: '60000' } });
const producer = () => harness.module(probes.producer);
const effects = (key: string) => harness.module(probes.subscribers[0]!).db<ProbeTables>().selectFrom('effects').selectAll().where('key', '=', key).execute();
const ping = (n: number, key: string) => producer().db().transaction().execute((trx) => producer().events.publish(trx, Pinged, { n, key }));

describe('stimulate(…).andWaitForEvent(…)', () => {
  it('resolves with the payload of the first matching event published after the stimulus', async () => {
    const payload = await harness.scenario
      .stimulate(async () => {
        await ping(1, 'a');
        await ping(2, 'a');
      })
      .andWaitForEvent(Pinged, (event) => event.key === 'a' && event.n === 2)
      .toArriveWithin('2s');
    expect(payload).toEqual({ n: 2, key: 'a' });
  });

  it('does not count an event published before the stimulus', async () => {
    await ping(1, 'before');
    await expect(harness.scenario.stimulate(() => undefined).andWaitForEvent(Pinged, (event) => event.key === 'before').toArriveWithin(300)).rejects.toThrow(
      /none arrived\. No scn-source\.Pinged v1 arrived at all\./,
    );
  });

  it('fails after the timeout listing every event of that name and version that did arrive, with payloads', async () => {
    const failure = harness.scenario
      .stimulate(async () => {
        await ping(1, 'listed');
        await ping(2, 'listed');
      })
      .andWaitForEvent(Pinged, (event) => event.n === 3)
      .toArriveWithin('300ms');
    await expect(failure).rejects.toThrow(
      'Expected scn-source.Pinged v1 matching (event) => event.n === 3 within 300ms; none arrived. ' +
        'scn-source.Pinged v1 that did arrive (2):\n  - {"n":1,"key":"listed"}\n  - {"n":2,"key":"listed"}',
    );
  });

  it('passes on the error of a stimulus that throws', async () => {
    await expect(
      harness.scenario
        .stimulate(() => {
          throw new Error('the stimulus broke');
        })
        .andWaitForEvent(Pinged),
    ).rejects.toThrow('the stimulus broke');
  });
});

describe('publish(…).andWaitForStateChange(…)', () => {
  it("resolves once the subscriber's state satisfies the predicate, woken by its batch's commit", async () => {
    const started = performance.now();
    const rows = await harness.scenario
      .publish(Pinged, { n: 7, key: 'state' })
      .andWaitForStateChange(() => effects('state'), (found) => found.length === 1)
      .within('5s');
    expect(rows.map((row) => row.n)).toEqual([7]);
    // Far below the minute-long fallback poll: only a signal can have ended the wait.
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('fails after the timeout with the last value it read', async () => {
    await expect(
      harness.scenario
        .stimulate(() => undefined)
        .andWaitForStateChange(() => effects('never'), (found) => found.length > 0)
        .within(200),
    ).rejects.toThrow('Expected the state to change so that (found) => found.length > 0 within 200 ms; the last read gave []');
  });

  it('refuses to publish for a producer that does not run in the app', async () => {
    const other = probeSystem('scnx', 0);
    await expect(harness.scenario.publish(other.Pinged, { n: 1, key: 'x' }).andWaitForEvent(other.Pinged)).rejects.toThrow(
      'Cannot publish scnx-source.Pinged: its producer "scnx-source" does not run in this app',
    );
  });
});

describe('expectPublished / expectNotPublished', () => {
  it('sees what was published since the test began', async () => {
    await ping(1, 'expect');
    expect(await harness.scenario.expectPublished(Pinged, (event) => event.key === 'expect')).toEqual({ n: 1, key: 'expect' });
    await harness.scenario.expectNotPublished(Pinged, (event) => event.key === 'expect' && event.n === 2);
  });

  it('fails naming the event and listing what was published instead', async () => {
    await ping(5, 'other');
    await expect(harness.scenario.expectPublished(Pinged, (event) => event.key === 'missing')).rejects.toThrow(
      'Expected scn-source.Pinged v1 matching (event) => event.key === "missing" to have been published; it was not. scn-source.Pinged v1 that did arrive (1):\n  - {"n":5,"key":"other"}',
    );
    await expect(harness.scenario.expectNotPublished(Pinged, (event) => event.n === 5)).rejects.toThrow(
      'Expected no scn-source.Pinged v1 matching (event) => event.n === 5 to have been published; found scn-source.Pinged v1 that did arrive (1):\n  - {"n":5,"key":"other"}',
    );
  });

  it('starts afresh for each test', async () => {
    await harness.scenario.expectNotPublished(Pinged, (event) => event.key === 'other');
  });
});

// The same waits when the producer runs in another app and its events arrive over NATS.
const nats = await natsForTests({ own: true });
afterAll(() => nats.stop());

describe.skipIf(nats.skipped !== undefined)(`over NATS${nats.skipped ? ` (skipped: ${nats.skipped})` : ''}`, () => {
  const split = probeSystem(runPrefix('scnn'), 1);
  const env = { SERVICE_TOKEN: TEST_SERVICE_TOKEN, NATS_URL: nats.url ?? '', EVENTS_POLL_INTERVAL_MS: '60000' };
  const producerApp = useApp({ modules: split.modules, migrationsDir: split.migrationsDir, env: { ...env, MODULES: split.producer } });
  const subscriberApp = useApp({
    modules: split.modules,
    migrationsDir: split.migrationsDir,
    env: { ...env, MODULES: split.subscribers[0]!, REMOTE_MODULES: `${split.producer}=http://127.0.0.1:9` },
  });

  it('waits in the subscriber app for an event that arrives over NATS, and lists what arrived on a timeout', async () => {
    const publishThere = (n: number) => {
      const there = producerApp.module(split.producer);
      return there.db().transaction().execute((trx) => there.events.publish(trx, split.Pinged, { n, key: 'nats' }));
    };
    expect(await subscriberApp.scenario.stimulate(() => publishThere(1)).andWaitForEvent(split.Pinged, (event) => event.n === 1).toArriveWithin('10s')).toEqual({ n: 1, key: 'nats' });
    await expect(subscriberApp.scenario.stimulate(() => publishThere(2)).andWaitForEvent(split.Pinged, (event) => event.n === 3).toArriveWithin('1s')).rejects.toThrow(
      /that did arrive \(1\):\n {2}- \{"n":2,"key":"nats"\}/,
    );
  });
});
