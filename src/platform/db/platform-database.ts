import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { traceStatements } from '../telemetry/sql-spans.ts';
import type { DatabaseAvailability } from './database-availability.ts';

/**
 * The platform's own connection to a database, as the DATABASE_URL user: for work across modules' event tables (lag,
 * dead letters, retention), which no module's role may do. Two connections are plenty for that.
 */
export function createPlatformDatabase(url: string, availability: DatabaseAvailability): Kysely<unknown> {
  const pool = new pg.Pool({ connectionString: url, max: 2, application_name: 'seams:platform', ...availability.clientOptions() });
  availability.watchPool(pool, url);
  traceStatements(pool);
  return new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
}

/** A readiness check: resolves when the database answers a trivial query. */
export async function pingDatabase(db: Kysely<unknown>): Promise<void> {
  await sql`select 1`.execute(db);
}
