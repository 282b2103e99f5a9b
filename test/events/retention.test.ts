import { afterAll, beforeAll, expect, it } from 'vitest';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { EventAdmin } from '#platform/events/event-admin.ts';
import { listSubscriptions } from '#platform/events/event-wiring.ts';
import { useApp } from '#testing';
import { probeSystem, type ProbeTables } from '../support/probe-modules.ts';
import { waitFor } from '../support/wait-for.ts';

const probes = probeSystem('ret', 2);
const app = useApp({ modules: probes.modules, migrationsDir: probes.migrationsDir });
let platformDb: Kysely<unknown>;

beforeAll(async () => {
  // One connection, so the advisory lock taken below and its unlock run in the same session.
  platformDb = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: app.databaseUrl, max: 1 }) }) });
});
afterAll(async () => {
  await platformDb.destroy();
});

it('deletes outbox rows past the retention only once every subscription has read them, and old inbox rows', async () => {
  const producerDb = app.module(probes.producer).db();
  const { events } = app.module(probes.producer);
  const sink = (i: number) => app.module(probes.subscribers[i]!).db<ProbeTables>();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const count = async (db: Kysely<any>, table: string) => (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(db)).rows[0]!.n;

  for (let n = 0; n < 5; n++) await producerDb.transaction().execute((trx) => events.publish(trx, probes.Pinged, { n, key: 'r' }));
  await waitFor(async () => (await count(sink(0), 'effects')) === 5 && (await count(sink(1), 'effects')) === 5);

  // The second subscriber falls behind: its cursor goes back to the start, and it is kept from catching up (its
  // lease is held from outside) until retention has run.
  const lease = [`seams:${probes.subscribers[1]}:${probes.Pinged.name}`, 0];
  await sql`select pg_advisory_lock(hashtext(${lease[0]}), ${lease[1]})`.execute(platformDb);
  await sql`update seams_subscription_cursors set cursor_xid = '0', cursor_seq = 0`.execute(sink(1));
  const admin = new EventAdmin(platformDb, listSubscriptions(probes.modules));
  const held = await admin.applyRetention(0);
  expect(held).toEqual({ outbox: 0, inbox: 0 });
  expect(await count(producerDb, 'seams_outbox')).toBe(5);
  await sql`select pg_advisory_unlock(hashtext(${lease[0]}), ${lease[1]})`.execute(platformDb);

  // Once it has caught up again (the inbox turns the re-reads into no-ops), everything may go.
  await app.restart();
  const cursorDone = async () => (await sql<{ seq: string }>`select cursor_seq::text as seq from seams_subscription_cursors`.execute(sink(1))).rows[0]!.seq !== '0';
  await waitFor(cursorDone);
  const freed = await admin.applyRetention(0);
  expect(freed.outbox).toBe(5);
  expect(freed.inbox).toBe(10);
  expect(await count(app.module(probes.producer).db(), 'seams_outbox')).toBe(0);
  expect(await count(sink(1), 'effects')).toBe(5);
});
