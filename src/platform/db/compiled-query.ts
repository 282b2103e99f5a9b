import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import type pg from 'pg';

/**
 * A query built and compiled once, for the hot path: each call only swaps in its parameters. Building and compiling
 * a Kysely query costs a cheap primary-key read several microseconds on every call (docs/benchmarks-history.md,
 * "Where the read's gap goes"); run the result with {@link runCompiled}. The query is built with placeholder values,
 * and the parameters of a call must come in the same order as the builder's.
 */
export function compileOnce<R>(query: Compilable<R>): (...parameters: readonly unknown[]) => CompiledQuery<R> {
  const compiled = query.compile();
  return (...parameters) => {
    if (parameters.length !== compiled.parameters.length) {
      throw new Error(`compileOnce: ${compiled.parameters.length} parameters expected, got ${parameters.length}: ${compiled.sql}`);
    }
    return { ...compiled, parameters };
  };
}

/** What runs a compiled query: a module's Kysely handle or one of its transactions. */
export interface CompiledQueryRunner {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

/** The pool under each module's Kysely handle (not under its transactions: those keep their own connection). */
const pools = new WeakMap<object, pg.Pool>();

/** Lets {@link runCompiled} run a handle's compiled queries on its pool directly. */
export function runsOnPool(db: CompiledQueryRunner, pool: pg.Pool): void {
  pools.set(db, pool);
}

/**
 * Runs a compiled query and returns its rows. On a module's handle it goes straight to the handle's pool: Kysely's
 * executor, connection provider and driver layers are a chain of async calls that cost a cheap read 4–6 µs of CPU
 * (BENCHMARKS.md, "Where the rest goes") and add nothing to a statement that is already compiled. The pool's own
 * wrappers still apply (the database availability check on connect, prepared statements, SQL spans), and the
 * connection goes back to the pool exactly as Kysely would return it. Inside a transaction (or on any handle not made
 * by createModuleDatabase) it runs through Kysely as before.
 */
export async function runCompiled<R>(db: CompiledQueryRunner, query: CompiledQuery<R>): Promise<R[]> {
  const pool = pools.get(db);
  if (!pool) return (await db.executeQuery(query)).rows;
  const client = await pool.connect();
  try {
    return (await client.query<R & pg.QueryResultRow>(query.sql, query.parameters as unknown[])).rows;
  } finally {
    client.release();
  }
}
