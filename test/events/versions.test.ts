import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { schemaName } from '#platform/db/database-names.ts';
import { ident } from '#platform/db/provision.ts';
import type { Publisher } from '#platform/events/publisher.ts';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import { runPrefix, TEST_SERVICE_TOKEN } from '../support/nats-apps.ts';
import { natsForTests, type TestNats } from '../support/nats-server.ts';
import { buildTestApp, testDatabaseUrl, tokens } from '../support/test-app.ts';
import { handled, versionedProbes, writeStoredEvent, type HandledRow, type VersionedProbes } from '../support/versioned-probes.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * Versions side by side, across a deploy. The code before the deploy publishes `Measured` v1, and both subscribers
 * take v1; one event dead-letters in both. Then v1 rows are written where old code leaves them (an outbox; in the
 * split topology also each subscriber's `seams_received`), and the code after the deploy starts: its producer
 * publishes v2, subscriber `next` takes v2 and `stays` keeps v1. Every event reaches each subscriber in its version:
 * the pending v1 rows, the new v2 events and the replayed v1 dead letters.
 */

let db: Kysely<unknown>;
beforeAll(() => {
  db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: testDatabaseUrl(), max: 2 }) }) });
});
afterAll(() => db.destroy());

/** One way to run the system: which processes, with which module lists. */
interface Topology {
  /** Starts the deployment's apps; the first one runs the producer. */
  start(probes: VersionedProbes, env: Record<string, string>): Promise<ModuleRouter[]>;
  /** Writes the v1 rows that old code left behind and the new code has not handled yet, with n = 3 (and more). */
  leaveStoredRows(probes: VersionedProbes): Promise<number[]>;
}

async function publish(app: ModuleRouter, probes: VersionedProbes, payload: Record<string, unknown>): Promise<void> {
  const producerDb = app.diContainer.resolve<Kysely<unknown>>(`${probes.producer}/db`);
  const events = app.diContainer.resolve<Publisher>(`${probes.producer}/events`);
  await producerDb.transaction().execute((trx) => events.publish(trx, probes.published, payload as never));
}

async function deadLetters(module: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.raw(`${ident(schemaName(module))}.seams_parked`)} where status = 'dead'`.execute(db);
  return rows[0]!.n;
}

function scenario(prefix: string, topology: Topology) {
  let before: VersionedProbes;
  let after: VersionedProbes;
  let stored: number[];
  const byN = new Map<string, HandledRow[]>();

  beforeAll(async () => {
    before = versionedProbes(prefix, 'before', { failOnKey: 'bad' });
    const old = await topology.start(before, { EVENTS_MAX_ATTEMPTS: '1' });
    await publish(old[0]!, before, { n: 1, key: 'k1' });
    await publish(old[0]!, before, { n: 2, key: 'bad' });
    await waitFor(async () => (await handled(db, before.next)).length === 1 && (await handled(db, before.stays)).length === 1, { message: 'old code did not handle n=1' });
    await waitFor(async () => (await deadLetters(before.next)) === 1 && (await deadLetters(before.stays)) === 1, { message: 'n=2 did not dead-letter' });
    for (const app of old.reverse()) await app.close();

    stored = await topology.leaveStoredRows(before);

    after = versionedProbes(prefix, 'after', { migrationsDir: before.migrationsDir });
    const apps = await topology.start(after, {});
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
    expect(await deadLetters(after.next)).toBe(0);
    expect(await deadLetters(after.stays)).toBe(0);
  });
}

describe('one process: v1 in the outbox and in dead letters, after a deploy that publishes v2', () => {
  scenario(runPrefix('vone'), {
    async start(probes, env) {
      const app = await buildTestApp({ modules: probes.modules, migrationsDir: probes.migrationsDir, env });
      await app.ready();
      return [app];
    },
    async leaveStoredRows(probes) {
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
    async start(probes, env) {
      const common = { SERVICE_TOKEN: TEST_SERVICE_TOKEN, NATS_URL: nats.url!, ...env };
      const producer = await buildTestApp({ modules: probes.modules, migrationsDir: probes.migrationsDir, env: { ...common, MODULES: probes.producer } });
      await producer.ready();
      const subscribers = await buildTestApp({
        modules: probes.modules,
        migrationsDir: probes.migrationsDir,
        // Never called: the producer's contract has no methods.
        env: { ...common, MODULES: `${probes.next},${probes.stays}`, REMOTE_MODULES: `${probes.producer}=http://127.0.0.1:9` },
      });
      await subscribers.ready();
      return [producer, subscribers];
    },
    async leaveStoredRows(probes) {
      // n = 3 arrived over NATS before the deploy but was not handled yet; n = 4 had not left the producer's outbox.
      for (const module of [probes.next, probes.stays]) await writeStoredEvent(db, { receivedBy: module, producer: probes.producer }, probes.V1, { n: 3, key: 'k3' });
      await writeStoredEvent(db, { outboxOf: probes.producer }, probes.V1, { n: 4, key: 'k4' });
      return [3, 4];
    },
  });
});
