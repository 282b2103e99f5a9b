import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { schemaName } from '#platform/db/database-names.ts';
import { ident } from '#platform/db/provision.ts';
import { startApp } from '#testing';
import { runPrefix, TEST_SERVICE_TOKEN } from '../support/nats-apps.ts';
import { natsForTests, type TestNats } from '../support/nats-server.ts';
import { adminDatabase } from '../support/probe-views.ts';
import { isolatedDatabase, tokens } from '../support/test-app.ts';
import { handled, versionedProbes, writeStoredEvent, type HandledRow, type VersionedProbes } from '../support/versioned-probes.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * Versions side by side, across a deploy. The code before the deploy publishes `Measured` v1, and both subscribers
 * take v1; one event dead-letters in both. Then v1 rows are written where old code leaves them (an outbox; in the
 * split topology also each subscriber's `seams_received`), and the code after the deploy starts: its producer
 * publishes v2, subscriber `next` takes v2 and `stays` keeps v1. Every event reaches each subscriber in its version:
 * the pending v1 rows, the new v2 events and the replayed v1 dead letters.
 */

type App = Awaited<ReturnType<typeof startApp>>;

/** One way to run the system: which processes, with which module lists. */
interface Topology {
  /** Starts the deployment's apps on `databaseUrl` (every deployment, every process: one database); the first one runs the producer. */
  start(probes: VersionedProbes, env: Record<string, string>, databaseUrl: string): Promise<App[]>;
  /** Writes the v1 rows that old code left behind and the new code has not handled yet, with n = 3 (and more). */
  leaveStoredRows(db: Kysely<unknown>, probes: VersionedProbes): Promise<number[]>;
}

async function publish(app: App, probes: VersionedProbes, payload: Record<string, unknown>): Promise<void> {
  const producer = app.module(probes.producer);
  await producer
    .db()
    .transaction()
    .execute((trx) => producer.events.publish(trx, probes.published, payload as never));
}

async function deadLetters(db: Kysely<unknown>, module: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.raw(`${ident(schemaName(module))}.seams_parked`)} where status = 'dead'`.execute(db);
  return rows[0]!.n;
}

function scenario(prefix: string, topology: Topology) {
  let before: VersionedProbes;
  let after: VersionedProbes;
  let stored: number[];
  const byN = new Map<string, HandledRow[]>();
  // A database that outlives the apps of both deployments; the test reads every module's tables in it.
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
  let db: Kysely<unknown>;
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  beforeAll(async () => {
    database = await isolatedDatabase();
    db = adminDatabase(database.url);
    before = versionedProbes(prefix, 'before', { failOnKey: 'bad' });
    const old = await topology.start(before, { EVENTS_MAX_ATTEMPTS: '1' }, database.url);
    await publish(old[0]!, before, { n: 1, key: 'k1' });
    await publish(old[0]!, before, { n: 2, key: 'bad' });
    await waitFor(async () => (await handled(db, before.next)).length === 1 && (await handled(db, before.stays)).length === 1, { message: 'old code did not handle n=1' });
    await waitFor(async () => (await deadLetters(db, before.next)) === 1 && (await deadLetters(db, before.stays)) === 1, { message: 'n=2 did not dead-letter' });
    for (const app of old.reverse()) await app.close();

    stored = await topology.leaveStoredRows(db, before);

    after = versionedProbes(prefix, 'after', { migrationsDir: before.migrationsDir });
    const apps = await topology.start(after, {}, database.url);
    await publish(apps[0]!, after, { n: 5, key: 'k5', unit: 'box' });
    // The dead letters are replayed through the admin API of the process that runs the subscribers.
    const subscriberApp = apps.at(-1)!;
    const replay = await subscriberApp.inject({ method: 'POST', url: '/admin/events/dead-letters/replay', headers: tokens(subscriberApp).admin, payload: {} });
    expect(replay.statusCode).toBe(202);
    const expected = 1 + 1 + stored.length + 1;
    await waitFor(async () => (await handled(db, after.next)).length === expected && (await handled(db, after.stays)).length === expected, {
      timeoutMs: 20_000,
      message: 'not every event reached both subscribers',
    });
    byN.set('next', await handled(db, after.next));
    byN.set('stays', await handled(db, after.stays));
    for (const app of apps.reverse()) await app.close();
  }, 60_000);

  it('hands the v2 subscriber v1 events upcast (pending rows and the replayed dead letter) and v2 events as published', () => {
    expect(byN.get('next')).toEqual([
      // Handled before the deploy, by the code that took v1.
      { n: 1, version: 1, payload: { n: 1, key: 'k1' } },
      { n: 2, version: 2, payload: { n: 2, key: 'bad', unit: 'piece' } },
      ...stored.map((n) => ({ n, version: 2, payload: { n, key: `k${n}`, unit: 'piece' } })),
      { n: 5, version: 2, payload: { n: 5, key: 'k5', unit: 'box' } },
    ]);
  });

  it('hands the v1 subscriber v1 events as stored and v2 events downcast', () => {
    expect(byN.get('stays')).toEqual([
      { n: 1, version: 1, payload: { n: 1, key: 'k1' } },
      { n: 2, version: 1, payload: { n: 2, key: 'bad' } },
      ...stored.map((n) => ({ n, version: 1, payload: { n, key: `k${n}` } })),
      { n: 5, version: 1, payload: { n: 5, key: 'k5' } },
    ]);
  });

  it('leaves no dead letter behind', async () => {
    expect(await deadLetters(db, after.next)).toBe(0);
    expect(await deadLetters(db, after.stays)).toBe(0);
  });
}

describe('one process: v1 in the outbox and in dead letters, after a deploy that publishes v2', () => {
  scenario(runPrefix('vone'), {
    async start(probes, env, databaseUrl) {
      return [await startApp({ modules: probes.modules, migrationsDir: probes.migrationsDir, env, databaseUrl })];
    },
    async leaveStoredRows(db, probes) {
      await writeStoredEvent(db, { outboxOf: probes.producer }, probes.V1, { n: 3, key: 'k3' });
      return [3];
    },
  });
});

const nats: TestNats = await natsForTests({ own: true });
if (nats.skipped) console.warn(`NATS version tests skipped: ${nats.skipped}`);

describe.skipIf(nats.skipped !== undefined)('split topology over NATS: v1 in the outbox, in seams_received and in dead letters, after a deploy that publishes v2', () => {
  afterAll(() => nats.stop());
  scenario(runPrefix('vsplit'), {
    async start(probes, env, databaseUrl) {
      const common = { SERVICE_TOKEN: TEST_SERVICE_TOKEN, NATS_URL: nats.url!, ...env };
      const producer = await startApp({ modules: probes.modules, migrationsDir: probes.migrationsDir, databaseUrl, env: { ...common, MODULES: probes.producer } });
      const subscribers = await startApp({
        modules: probes.modules,
        migrationsDir: probes.migrationsDir,
        databaseUrl,
        // Never called: the producer's contract has no methods.
        env: { ...common, MODULES: `${probes.next},${probes.stays}`, REMOTE_MODULES: `${probes.producer}=http://127.0.0.1:9` },
      });
      return [producer, subscribers];
    },
    async leaveStoredRows(db, probes) {
      // n = 3 arrived over NATS before the deploy but was not handled yet; n = 4 had not left the producer's outbox.
      for (const module of [probes.next, probes.stays]) await writeStoredEvent(db, { receivedBy: module, producer: probes.producer }, probes.V1, { n: 3, key: 'k3' });
      await writeStoredEvent(db, { outboxOf: probes.producer }, probes.V1, { n: 4, key: 'k4' });
      return [3, 4];
    },
  });
});
