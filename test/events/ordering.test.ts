import { describe, expect, it } from 'vitest';
import { useProbeApp } from '../support/probe-app.ts';
import { probeSystem } from '../support/probe-modules.ts';
import { sleep } from '../support/probe-views.ts';
import { waitFor } from '../support/wait-for.ts';

const RETRY_ENV = { EVENTS_RETRY_BASE_MS: '20', EVENTS_RETRY_MAX_MS: '100', EVENTS_MAX_ATTEMPTS: '1000' };

describe('one subscription partition', () => {
  /** While set, k1:1 fails; it fails on its first two attempts whatever. */
  let holdK1 = true;
  const probes = probeSystem('ord', 1, (event) => {
    if (event.payload.key === 'k1' && event.payload.n === 1 && (event.attempt < 3 || holdK1)) throw new Error('k1:1 is not ready');
  });
  const { publish, sinks } = useProbeApp(probes, RETRY_ENV);

  it('handles a key in publish order across retries, while other keys go on', async () => {
    const sink = sinks[0]!;
    const [k1first] = await publish({ n: 1, key: 'k1' });
    // k1:2 comes in a later batch than the one that parked k1:1; k1:3 right after it.
    await waitFor(async () => (await sink.parked({ eventId: k1first }))[0]?.status === 'retrying', { timeoutMs: 5000, message: 'k1:1 not parked' });
    await publish({ n: 2, key: 'k1' });
    await publish({ n: 3, key: 'k1' });
    const k2published = performance.now();
    for (let n = 1; n <= 3; n++) await publish({ n, key: 'k2' });

    // k2 is not held back by k1's failure...
    await waitFor(async () => (await sink.effects({ key: 'k2' })).length === 3, { timeoutMs: 5000, message: 'k2 was held back' });
    expect(performance.now() - k2published).toBeLessThan(2000);
    // ...while nothing of k1 has been handled: its head is being retried and the rest wait behind it.
    await waitFor(async () => ((await sink.parked({ eventId: k1first }))[0]?.attempts ?? 0) >= 2, { timeoutMs: 5000, message: 'k1:1 not retried' });
    expect(await sink.effects({ key: 'k1' })).toEqual([]);
    expect((await sink.parked({ key: 'k1' })).map((row) => [row.n, row.status])).toEqual([
      [1, 'retrying'],
      [2, 'waiting'],
      [3, 'waiting'],
    ]);

    holdK1 = false;
    await waitFor(async () => (await sink.effects({ key: 'k1' })).length >= 3, { timeoutMs: 5000, message: 'k1 never caught up' });
    await sleep(100);
    const k1 = await sink.effects({ key: 'k1' });
    expect(k1.map((effect) => effect.n)).toEqual([1, 2, 3]);
    expect(k1[0]!.attempt).toBeGreaterThanOrEqual(3);
    expect(k1.slice(1).map((effect) => effect.attempt)).toEqual([1, 1]);
    // Every k2 effect was written before k1:1 finally succeeded.
    const k2 = await sink.effects({ key: 'k2' });
    expect(k2.map((effect) => effect.n)).toEqual([1, 2, 3]);
    expect(Math.max(...k2.map((effect) => Number(effect.id)))).toBeLessThan(Number(k1[0]!.id));
    expect(await sink.parked()).toEqual([]);
    expect(await sink.stats()).toEqual({ rows: 6, distinct: 6 });
  });
});

describe('one key published many times in one transaction', () => {
  let holdHead = true;
  const probes = probeSystem('ordtx', 1, (event) => {
    if (event.payload.n === 1 && holdHead) throw new Error('the head is not ready');
  });
  // A fresh outbox, so its sequence numbers start at 1 and the ones below cross from one digit to two.
  const { publish, sinks } = useProbeApp(probes, RETRY_ENV);

  it('keeps publish order when the events that waited behind a failed one are handled', async () => {
    const sink = sinks[0]!;
    const [head] = await publish({ n: 1, key: 'k' });
    await waitFor(async () => (await sink.parked({ eventId: head }))[0]?.status === 'retrying', { timeoutMs: 5000 });
    // Fourteen events of the same key in one transaction: one transaction id, sequence numbers 2..15.
    await publish(...Array.from({ length: 14 }, (_, i) => ({ n: i + 2, key: 'k' })));
    await waitFor(async () => (await sink.parked({ key: 'k' })).length === 15, { timeoutMs: 5000 });
    holdHead = false;
    await waitFor(async () => (await sink.effects({ key: 'k' })).length >= 15, { timeoutMs: 5000, message: 'the key never caught up' });
    expect((await sink.effects({ key: 'k' })).map((effect) => effect.n)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
  });
});

describe('partitioned subscriptions', () => {
  const KEYS = 12;
  const PER_KEY = 25;
  const PUBLISHERS = 4;
  // Every seventh event fails its first attempt, so keys keep getting parked and drained while others flow.
  const probes = probeSystem(
    'ordp',
    2,
    (event) => {
      if (event.payload.n % 7 === 3 && event.attempt === 1) throw new Error('first attempt fails');
    },
    { partitions: 4 },
  );
  const { publish, sinks } = useProbeApp(probes, RETRY_ENV);

  it(`keeps per-key order for ${KEYS} keys x ${PER_KEY} events over 4 partitions, with retries`, async () => {
    // Each publisher owns some keys and publishes their events in turn, one transaction each; publishers run at once.
    await Promise.all(
      Array.from({ length: PUBLISHERS }, async (_, p) => {
        const keys = Array.from({ length: KEYS / PUBLISHERS }, (_, i) => `key-${p * (KEYS / PUBLISHERS) + i}`);
        for (let n = 1; n <= PER_KEY; n++) for (const key of keys) await publish({ n, key });
      }),
    );
    for (const sink of sinks) {
      await waitFor(async () => (await sink.stats()).rows >= KEYS * PER_KEY, { timeoutMs: 20_000, message: `not all handled: ${JSON.stringify(await sink.stats())}` });
    }
    await sleep(100);
    for (const sink of sinks) {
      expect(await sink.stats()).toEqual({ rows: KEYS * PER_KEY, distinct: KEYS * PER_KEY });
      const effects = await sink.effects();
      for (let k = 0; k < KEYS; k++) {
        expect(effects.filter((effect) => effect.key === `key-${k}`).map((effect) => effect.n), `order of key-${k}`).toEqual(
          Array.from({ length: PER_KEY }, (_, i) => i + 1),
        );
      }
      // The retries really happened: every event with n % 7 == 3 was handled on a later attempt.
      expect(effects.filter((effect) => effect.attempt > 1).length).toBe(effects.filter((effect) => effect.n % 7 === 3).length);
      expect(await sink.parked()).toEqual([]);
    }
    // The subscription really is partitioned: four cursors, every one moved, and the keys spread over the partitions.
    for (const sink of sinks) {
      const cursors = await sink.cursors();
      expect(cursors.map((cursor) => cursor.partition)).toEqual([0, 1, 2, 3]);
      expect(cursors.every((cursor) => cursor.xid !== '0')).toBe(true);
    }
  });
});
