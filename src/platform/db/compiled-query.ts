import { AsyncLocalStorage } from 'node:async_hooks';
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
 *
 * The connection is taken with pg-pool's callback form and the result handed on with one promise, as `pool.query`
 * does: the promise form of `connect` and an async function around it cost three more promises and two awaits per
 * read, a measurable share of a cheap read's garbage (issue 13). pg-pool calls back a caller that waited for a free
 * connection from another caller's release, so the statement is sent in the caller's own async context (snapshot):
 * its SQL span and log lines belong to the request that ran it.
 */
export function runCompiled<R>(db: CompiledQueryRunner, query: CompiledQuery<R>): Promise<R[]> {
  const pool = pools.get(db);
  if (!pool) return db.executeQuery(query).then((result) => result.rows);
  const inCallersContext = AsyncLocalStorage.snapshot();
  return new Promise((resolve, reject) => {
    pool.connect((error, client) => inCallersContext(() => {
      if (error || !client) {
        reject(error ?? new Error('runCompiled: the pool gave no connection'));
        return;
      }
      client.query<R & pg.QueryResultRow>(query.sql, query.parameters as unknown[]).then(
        (result) => {
          client.release();
          resolve(result.rows);
        },
        (failure: unknown) => {
          client.release();
          reject(failure as Error);
        },
      );
    }));
  });
}
