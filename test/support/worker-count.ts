import pg from 'pg';

/** Files run side by side at most; see vitest.config.ts for why three on a 2-core machine. */
const MOST_WORKERS = 3;
/**
 * Connections one test file may hold at its peak: the heaviest files run two shop instances at once, each with five
 * module pools of DB_POOL_MAX=4 (src/testing.ts), the platform's pool and the event listener.
 */
const CONNECTIONS_PER_WORKER = 45;
/** What the embedded PostgreSQL allows (src/platform/db/embedded-postgres.ts). */
const EMBEDDED_MAX_CONNECTIONS = 200;

/**
 * How many test files may run at once without running the database server out of connections. PostgreSQL's default
 * max_connections (100, which the machine's server keeps) holds two files at their peak, not three: three failed
 * with "sorry, too many clients already" on a CI run. The embedded server allows 200, so it takes three. The server
 * is global-setup's: DATABASE_URL's, or the embedded one when it is unset.
 */
export async function testWorkerCount(databaseUrl = process.env.DATABASE_URL): Promise<number> {
  const free = databaseUrl ? await freeConnections(databaseUrl) : EMBEDDED_MAX_CONNECTIONS;
  const workers = Math.max(1, Math.min(MOST_WORKERS, Math.floor(free / CONNECTIONS_PER_WORKER)));
  if (databaseUrl && workers < MOST_WORKERS) {
    process.stdout.write(`test workers: ${workers} (the database server has ${free} connections free)\n`);
  }
  return workers;
}

/** Connections a client of the server can still open; when the server cannot be asked, enough for one worker. */
async function freeConnections(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ free: number }>(`
      select current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
        - (select count(*)::int from pg_stat_activity where backend_type = 'client backend') as free`);
    return rows[0]!.free;
  } catch {
    // global-setup reports an unreachable server with its own message; one worker is what is safe meanwhile.
    return CONNECTIONS_PER_WORKER;
  } finally {
    await client.end().catch(() => undefined);
  }
}
