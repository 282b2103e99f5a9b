import { sql, type CompiledQuery, type Kysely } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freshDatabase } from '../testing/test-database.ts';
import { compileOnce, runCompiled } from './compiled-query.ts';
import { DatabaseAvailability } from './database-availability.ts';
import { createModuleDatabase } from './module-database.ts';

interface Tables {
  notes: { id: number; body: string };
}

let db: Kysely<Tables>;
let drop: () => Promise<void>;
let noteById: (...parameters: readonly unknown[]) => CompiledQuery<{ id: number; body: string }>;

beforeAll(async () => {
  const database = await freshDatabase(inject('serverUrl'));
  drop = database.drop;
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

  it('refuses a call with the wrong number of parameters, naming the statement', () => {
    expect(() => noteById()).toThrow(/1 parameters expected, got 0: select "id", "body" from "notes"/);
  });
});
