import { AsyncLocalStorage } from 'node:async_hooks';
import { sql, type CompiledQuery, type Kysely } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freshDatabase } from '../testing/test-database.ts';
import { compileOnce, runCompiled, runsOnPool } from './compiled-query.ts';
import { DatabaseAvailability } from './database-availability.ts';
import { createModuleDatabase } from './module-database.ts';

interface Tables {
  notes: { id: number; body: string };
}

let db: Kysely<Tables>;
let drop: () => Promise<void>;
let url: string;
let noteById: (...parameters: readonly unknown[]) => CompiledQuery<{ id: number; body: string }>;

beforeAll(async () => {
  const database = await freshDatabase(inject('serverUrl'));
  drop = database.drop;
  url = database.url;
  const availability = new DatabaseAvailability({ logger: pino({ level: 'silent' }), connectTimeoutMs: 5000, poolWaitMs: 5000 });
  db = createModuleDatabase<Tables>({ url: database.url, role: 'postgres', schema: 'public', poolMax: 2, availability });
  await sql`create table notes (id int primary key, body text not null)`.execute(db);
  await db.insertInto('notes').values({ id: 1, body: 'committed' }).execute();
  noteById = compileOnce(db.selectFrom('notes').select(['id', 'body']).where('id', '=', 0));
});

afterAll(async () => {
  await db?.destroy();
  await drop?.();
});

describe('runCompiled', () => {
  it('reads committed rows through the module handle (straight on its pool)', async () => {
    expect(await runCompiled(db, noteById(1))).toEqual([{ id: 1, body: 'committed' }]);
    expect(await runCompiled(db, noteById(2))).toEqual([]);
  });

  it("inside a transaction, runs on the transaction's own connection: it sees the transaction's uncommitted rows", async () => {
    const rolledBack = new Error('roll back');
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('notes').values({ id: 2, body: 'uncommitted' }).execute();
        expect(await runCompiled(trx, noteById(2))).toEqual([{ id: 2, body: 'uncommitted' }]);
        // The pool's other connections do not see it: the statement above did not run on one of them.
        expect(await runCompiled(db, noteById(2))).toEqual([]);
        throw rolledBack;
      }),
    ).rejects.toBe(rolledBack);
    expect(await runCompiled(db, noteById(2))).toEqual([]);
  });

  it("runs each statement in its caller's async context, also after waiting for a free connection (SQL spans need it)", async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const caller = new AsyncLocalStorage<number>();
    const seen: Array<[number | undefined, unknown]> = [];
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (text: string, values: unknown[]) => Promise<pg.QueryResult>;
      (client as unknown as { query: typeof query }).query = (text, values) => {
        seen.push([caller.getStore(), values[0]]);
        return query(text, values);
      };
    });
    const runner = { executeQuery: () => Promise.reject(new Error('not through Kysely')) };
    runsOnPool(runner, pool);
    const statement = (n: number) => ({ sql: 'select $1::int as n', parameters: [n] }) as unknown as CompiledQuery<{ n: number }>;
    try {
      // One connection for four callers: three of them wait, and get it from another caller's release.
      const rows = await Promise.all([1, 2, 3, 4].map((n) => caller.run(n, () => runCompiled(runner, statement(n)))));
      expect(rows).toEqual([[{ n: 1 }], [{ n: 2 }], [{ n: 3 }], [{ n: 4 }]]);
      expect(seen.sort(([a], [b]) => (a ?? 0) - (b ?? 0))).toEqual([[1, 1], [2, 2], [3, 3], [4, 4]]);
    } finally {
      await pool.end();
    }
  });

  it('refuses a call with the wrong number of parameters, naming the statement', () => {
    expect(() => noteById()).toThrow(/1 parameters expected, got 0: select "id", "body" from "notes"/);
  });
});
