import { beforeAll, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { Publisher } from '#platform/events/publisher.ts';
import { useProbeApp } from '../support/probe-app.ts';
import { probeSystem } from '../support/probe-modules.ts';
import { compareIds, sleep } from '../support/probe-views.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * The classic outbox bug: identity values are handed out at insert time, not at commit time, so a reader that moves
 * a cursor past the highest position it has seen skips the rows of transactions that commit later with a lower
 * position. Here many transactions publish, then commit in random order, while the subscribers read.
 */
const ROUNDS = 12;
const CONCURRENT = 50;

const probes = probeSystem('ooo', 2);
// One connection per concurrent transaction, and a few for the test itself.
const { app, sinks } = useProbeApp(probes, { DB_POOL_MAX: String(CONCURRENT + 4) });
let producerDb: Kysely<unknown>;
let events: Publisher;

beforeAll(async () => {
  producerDb = app.module(probes.producer).db();
  events = app.module(probes.producer).events;
  await openConnections(producerDb, CONCURRENT);
});

/**
 * Opens `count` connections in the pool up front, waiting for free slots if the server is short of them (other test
 * runs share it): the rounds then run on open connections, and a lack of slots is reported as such, not as a loss.
 */
async function openConnections(db: Kysely<unknown>, count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await Promise.all(Array.from({ length: count }, () => db.transaction().execute(() => sleep(100))));
      return;
    } catch (error) {
      if (!/too many clients|remaining connection slots/.test(String(error)) || Date.now() > deadline) {
        throw new Error(`could not open ${count} connections to the test database`, { cause: error });
      }
      await sleep(500);
    }
  }
}

/** Publishes one event, then holds the transaction open for `holdMs` before committing. Returns the event id. */
async function publishAndHold(key: string, n: number, holdMs: number): Promise<string> {
  return producerDb.transaction().execute(async (trx) => {
    const id = await events.publish(trx, probes.Pinged, { n, key });
    await sleep(holdMs);
    return id;
  });
}

it(`delivers every event exactly once to every subscriber when ${CONCURRENT} transactions commit out of order, ${ROUNDS} rounds`, { timeout: 60_000 }, async () => {
  const all: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const prefix = `r${round}-`;
    // All transactions insert (and so take their positions) first, then commit after a random wait: commit order is
    // unrelated to position order.
    const ids = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => publishAndHold(`${prefix}${i}`, i, Math.random() * 30)));
    all.push(...ids);
    for (const sink of sinks) {
      await waitFor(async () => (await sink.stats({ keyPrefix: prefix })).rows >= CONCURRENT, {
        timeoutMs: 10_000,
        message: `round ${round}: not every event reached a subscriber (${JSON.stringify(await sink.stats({ keyPrefix: prefix }))} of ${CONCURRENT})`,
      });
    }
  }
  // Give a late duplicate every chance to show up.
  await sleep(200);
  for (const sink of sinks) {
    expect(await sink.stats()).toEqual({ rows: ROUNDS * CONCURRENT, distinct: ROUNDS * CONCURRENT });
    expect(compareIds(all, (await sink.effects()).map((effect) => effect.event_id))).toEqual({ missing: 0, unexpected: 0 });
  }
});

it('does not skip the event of a transaction that stays open while later ones commit', async () => {
  // The straggler takes the lowest position of all, then commits last, 300 ms after the others.
  const late = publishAndHold('straggler-0', 0, 300);
  await sleep(20);
  const others = [];
  for (let i = 1; i <= 5; i++) others.push(await publishAndHold(`straggler-after-${i}`, i, 0));
  const lateId = await late;
  for (const sink of sinks) {
    await waitFor(async () => (await sink.stats({ keyPrefix: 'straggler-' })).rows >= 6, { timeoutMs: 10_000, message: 'an event was skipped' });
  }
  await sleep(100);
  for (const sink of sinks) {
    expect(await sink.stats({ keyPrefix: 'straggler-' })).toEqual({ rows: 6, distinct: 6 });
    expect(await sink.effects({ eventId: lateId })).toHaveLength(1);
    expect(compareIds([lateId, ...others], (await sink.effects({ keyPrefix: 'straggler-' })).map((effect) => effect.event_id))).toEqual({ missing: 0, unexpected: 0 });
  }
});
