import pg from 'pg';
import { STARTUP_CONNECT_TIMEOUT_MS } from './database-availability.ts';
import { ident } from './provision.ts';
import { withDatabase } from './database-names.ts';

/** Creates the database on the server if it does not exist yet, and returns a connection string to it. */
export async function ensureDatabase(serverUrl: string, database: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: STARTUP_CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) {
      await client.query(`create database ${ident(database)}`).catch((error: { code?: string }) => {
        // Another process created it between our check and our create.
        if (error.code !== '42P04') throw error;
      });
    }
  } finally {
    await client.end();
  }
  return withDatabase(serverUrl, database);
}
