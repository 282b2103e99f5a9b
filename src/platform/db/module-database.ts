import { Kysely } from 'kysely';
import pg from 'pg';
import { commitSignallingDialect } from '../events/commit-signalling-dialect.ts';
import { traceStatements } from '../telemetry/sql-spans.ts';
import { runPrepared } from './prepared-statements.ts';
import { runsOnPool } from './compiled-query.ts';
import type { DatabaseAvailability } from './database-availability.ts';

/** The handle a module gets to its own schema. Each module types it with its own tables: `ModuleDb<CatalogTables>`. */
export type ModuleDb<Tables> = Kysely<Tables>;

export interface ModuleDatabaseOptions {
  readonly url: string;
  readonly role: string;
  readonly schema: string;
  readonly poolMax: number;
  /** Called after a transaction that published events commits (the event bus's in-process wake-up). */
  readonly onPublishCommitted?: (events: number) => void;
  /** Told of the pool's failed and broken connections; also gives the connection timeout. */
  readonly availability: DatabaseAvailability;
}

/**
 * Transactions left open by a hung process hold row locks and the event bus's visibility horizon; Postgres ends a
 * session that sits idle inside a transaction this long.
 */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

/**
 * A Kysely on a pool of its own whose connections take the module's role and search path when they are opened. Set
 * once per connection (not per query) so the role costs no round trip on the hot path; and because the pool is the
 * module's alone, a connection can never return to a pool that serves another module.
 */
export function createModuleDatabase<Tables>(options: ModuleDatabaseOptions): ModuleDb<Tables> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    // plan_cache_mode acts on named prepared statements only: here the few hot event statements marked in
    // prepared-statements.ts (Kysely's own queries go unnamed and are planned each time whatever it says). Left to
    // choose, PostgreSQL planned a batch's read afresh on every run, 0.22-0.36 ms each, for a plan no faster than the
    // generic one (pg_stat_statements under bench:events: exec 0.70 ms custom, 0.56 ms generic).
    options: `-c role=${options.role} -c search_path=${options.schema} -c idle_in_transaction_session_timeout=${IDLE_IN_TRANSACTION_TIMEOUT_MS} -c plan_cache_mode=force_generic_plan`,
    application_name: `seams:${options.schema}`,
    // Bounds both a new connection and the wait for a free one: a request never queues for a slot without limit.
    ...options.availability.clientOptions(),
  });
  // A database that goes away makes idle pooled connections emit 'error'; unhandled, that ends the process.
  options.availability.watchPool(pool, options.url);
  // First of the wrappers of a connection's query, so that the SQL spans' wrapper, added after it, still sees the text.
  runPrepared(pool);
  traceStatements(pool);
  const db = new Kysely<Tables>({ dialect: commitSignallingDialect(pool, options.onPublishCommitted ?? (() => undefined)) });
  runsOnPool(db, pool);
  return db;
}
