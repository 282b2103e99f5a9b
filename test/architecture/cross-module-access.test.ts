import pg from 'pg';
import { sql, type RawBuilder } from 'kysely';
import { describe, expect, it } from 'vitest';
import { schemaName } from '#platform/db/database-names.ts';
import { ident } from '#platform/db/provision.ts';
import { producerOf } from '#platform/events/event-definition.ts';
import { useApp } from '#testing';
import { testDatabaseUrl } from '../support/test-app.ts';
import { modules } from '../../src/modules.ts';

/**
 * Every module's Kysely against every table of every other module, generated from src/modules.ts and the tables its
 * migrations created (global setup migrated them all in the run's database, which lists them before the tests are
 * collected), so a new module is covered as soon as it is listed there. The attempts run on the harness app's own
 * database, each in a transaction that is rolled back, so a broken boundary cannot damage what the other tests read.
 */
const PERMISSION_DENIED = '42501';

interface Table {
  readonly owner: string;
  readonly schema: string;
  readonly name: string;
  /** `schema.name`, quoted for SQL. */
  readonly qualified: string;
  /** A column an UPDATE may name (not an identity or generated one, which fail before any permission check). */
  readonly column: string;
}

async function tablesOfModules(): Promise<Table[]> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    const schemas = modules.map((module) => schemaName(module.name));
    const { rows } = await client.query<{ schema: string; name: string; column: string }>(
      `select n.nspname as schema, c.relname as name,
         (select attname from pg_attribute where attrelid = c.oid and attnum > 0 and not attisdropped and attidentity = '' and attgenerated = ''
          order by attnum limit 1) as column
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = any($1) and c.relkind in ('r', 'p', 'v', 'm')
       order by 1, 2`,
      [schemas],
    );
    return rows.map((row) => ({
      ...row,
      qualified: `${ident(row.schema)}.${ident(row.name)}`,
      owner: modules.find((module) => schemaName(module.name) === row.schema)!.name,
    }));
  } finally {
    await client.end();
  }
}

const tables = await tablesOfModules();

const app = useApp();

class RolledBack extends Error {}

/** The Postgres error code `statement` fails with under `module`'s role, or 'allowed'. Never commits anything. */
async function outcome(module: string, statement: RawBuilder<unknown>): Promise<string> {
  const db = app.module(module).db();
  try {
    await db.transaction().execute(async (trx) => {
      await statement.execute(trx);
      throw new RolledBack();
    });
  } catch (error) {
    if (error instanceof RolledBack) return 'allowed';
    return (error as { code?: string }).code ?? String(error);
  }
  return 'allowed';
}

it('finds tables for every module, so the cases below are not empty', () => {
  for (const module of modules) expect(tables.filter((table) => table.owner === module.name).length, module.name).toBeGreaterThan(0);
});

for (const reader of modules) {
  // The one thing the platform grants across schemas: a subscriber reads its producers' outboxes.
  const producers = new Set((reader.subscriptions ?? []).map((subscription) => producerOf(subscription.event)));
  const others = tables.filter((table) => table.owner !== reader.name);

  describe(`module "${reader.name}"`, () => {
    it.each(others)(`is denied any write to $qualified`, async (table) => {
      const target = sql.raw(table.qualified);
      const column = sql.raw(ident(table.column));
      expect(await outcome(reader.name, sql`insert into ${target} default values`), 'insert').toBe(PERMISSION_DENIED);
      expect(await outcome(reader.name, sql`update ${target} set ${column} = ${column}`), 'update').toBe(PERMISSION_DENIED);
      expect(await outcome(reader.name, sql`delete from ${target}`), 'delete').toBe(PERMISSION_DENIED);
      expect(await outcome(reader.name, sql`truncate ${target}`), 'truncate').toBe(PERMISSION_DENIED);
      expect(await outcome(reader.name, sql`drop table ${target}`), 'drop').toBe(PERMISSION_DENIED);
    });

    const readable = (table: Table) => producers.has(table.owner) && table.name === 'seams_outbox';
    const denied = others.filter((table) => !readable(table));
    it.each(denied)(`is denied reading $qualified`, async (table) => {
      expect(await outcome(reader.name, sql`select * from ${sql.raw(table.qualified)} limit 1`)).toBe(PERMISSION_DENIED);
    });

    const outboxes = others.filter(readable);
    if (outboxes.length > 0) {
      it.each(outboxes)(`reads $qualified, the outbox of a module it subscribes to`, async (table) => {
        expect(await outcome(reader.name, sql`select * from ${sql.raw(table.qualified)} limit 1`)).toBe('allowed');
      });
    }

    it.each([...new Set(others.map((table) => table.schema))])(`is denied creating a table in schema %s`, async (schema) => {
      expect(await outcome(reader.name, sql`create table ${sql.raw(`${ident(schema)}.intruder`)} (id int)`)).toBe(PERMISSION_DENIED);
    });
  });
}
