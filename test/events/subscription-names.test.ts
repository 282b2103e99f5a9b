import { afterAll, beforeAll, expect, it } from 'vitest';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrateEventTables } from '#platform/events/event-tables.ts';
import { isolatedDatabase } from '../support/test-app.ts';
import { probeSystem } from '../support/probe-modules.ts';

/**
 * Subscriptions used to be named `<event>@v<version>` by default; they are named after the event alone now, so that a
 * subscription moved to another version keeps its cursor, inbox and dead letters. The event tables' migration 0003
 * renames what an older deployment left under the old default names, and nothing else.
 */

const probes = probeSystem('subnames', 1);
const schema = 'subnames_legacy';
let database: { url: string; drop: () => Promise<void> };
let db: Kysely<unknown>;

beforeAll(async () => {
  // A schema of the test's own, migrated only as far as a deployment before the rename: the migrations that came after
  // 0003 must not have run yet, or kysely refuses to run 0003 out of order.
  database = await isolatedDatabase();
  db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 1, options: `-c search_path=${schema}` }) }) });
  await sql`create schema ${sql.id(schema)}`.execute(db);
  await migrateEventTables(db, schema, { upTo: '0002_nats_transport' });
});
afterAll(async () => {
  await db.destroy();
  await database.drop();
});

it('renames subscriptions of the old default shape in cursors, inbox and dead letters, and leaves custom names alone', async () => {
  const old = `${probes.Pinged.name}@v1`;
  const id = crypto.randomUUID();
  // As a deployment before the rename left them: the cursor under the old name and a custom one.
  await sql`insert into seams_subscription_cursors (subscription, partition, producer, cursor_xid, cursor_seq) values
            (${old}, 0, ${probes.producer}, '42', 7), ('my-own@v1-name', 0, ${probes.producer}, '0', 0)`.execute(db);
  await sql`insert into seams_inbox (subscription, event_id) values (${old}, ${id}::uuid)`.execute(db);
  await sql`insert into seams_parked (subscription, partition, event_id, name, version, payload, occurred_at, xid, seq, status)
            values (${old}, 0, ${id}::uuid, ${probes.Pinged.name}, 1, '{}'::jsonb, now(), '42', 7, 'dead')`.execute(db);

  await migrateEventTables(db, schema);

  const names = async (table: string) => (await sql<{ subscription: string }>`select subscription from ${sql.table(table)} order by 1`.execute(db)).rows.map((row) => row.subscription);
  expect(await names('seams_subscription_cursors')).toEqual(['my-own@v1-name', probes.Pinged.name].sort());
  expect(await names('seams_inbox')).toEqual([probes.Pinged.name]);
  expect(await names('seams_parked')).toEqual([probes.Pinged.name]);
  const cursor = await sql<{ seq: string }>`select cursor_seq::text as seq from seams_subscription_cursors where subscription = ${probes.Pinged.name}`.execute(db);
  expect(cursor.rows).toEqual([{ seq: '7' }]);
});
