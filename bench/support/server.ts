import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from 'pino';
import { withDatabase } from '#platform/db/database-names.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '#platform/db/embedded-postgres.ts';
import { ident } from '#platform/db/provision.ts';
import { isProcessAlive } from '#platform/process-alive.ts';

/** The PostgreSQL server the benchmark runs against, and fresh databases on it that are dropped afterwards. */
export interface BenchServer {
  readonly url: string;
  readonly embedded: boolean;
  freshDatabase(setupSql?: string): Promise<BenchDatabase>;
  /** Drops every database (and its module roles) this process created and still holds; stops the embedded server. */
  close(): Promise<void>;
}

export interface BenchDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

const PREFIX = 'seams_bench_';

export async function openServer(databaseUrl: string | undefined, logger: Logger): Promise<BenchServer> {
  let embedded: EmbeddedPostgres | undefined;
  let url = databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: path.resolve('.data/bench-postgres'), logger });
    url = embedded.url;
  }
  const serverUrl = url;
  const live = new Set<string>();
  let seq = 0;

  const admin = async <T>(run: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      return await run(client);
    } finally {
      await client.end();
    }
  };

  const drop = async (name: string) => {
    live.delete(name);
    await admin(async (client) => {
      // Every phase closes its app before this, but pg's pool.end() resolves before its connections' backends have
      // gone: dropping WITH (FORCE) then terminates them, and the FATAL that reaches a closing pool client is an
      // unhandled 'error' on a pool without an error listener (the module pools have none), which ends the process.
      // So wait for the backends to go first; anything left after that is a real leak and is named.
      const deadline = Date.now() + 5000;
      for (;;) {
        const left = await client.query<{ application_name: string; state: string }>(
          'select application_name, state from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
          [name],
        );
        if (left.rows.length === 0) break;
        if (Date.now() > deadline) {
          const who = left.rows.map((row) => `${row.application_name || '?'} (${row.state})`).join(', ');
          console.error(`bench: ${left.rows.length} connection(s) still open on ${name} 5 s after its app closed: ${who}`);
          break;
        }
        await sleep(20);
      }
      await client.query(`drop database if exists ${ident(name)} with (force)`);
      // Module roles carry the database name (see roleName); they belong to the server, so drop them too.
      const roles = await client.query<{ rolname: string }>("select rolname from pg_roles where rolname like $1 || '\\_%'", [name]);
      for (const { rolname } of roles.rows) await client.query(`drop role if exists ${ident(rolname)}`);
    });
  };

  await dropLeftovers(admin, drop);

  return {
    url: serverUrl,
    embedded: embedded !== undefined,
    async freshDatabase(setupSql) {
      const name = `${PREFIX}${process.pid}_${++seq}`;
      await admin(async (client) => {
        await client.query(`create database ${ident(name)}`);
        // As the peer harness does: start each phase from a clean checkpoint, not in the middle of one.
        await client.query('checkpoint');
      });
      live.add(name);
      const dbUrl = withDatabase(serverUrl, name);
      if (setupSql) {
        const client = new pg.Client({ connectionString: dbUrl });
        await client.connect();
        try {
          await client.query(setupSql);
        } finally {
          await client.end();
        }
      }
      return { name, url: dbUrl, drop: () => drop(name) };
    },
    async close() {
      for (const name of [...live]) await drop(name).catch(() => undefined);
      await embedded?.stop();
    },
  };
}

/**
 * A benchmark that died (killed, or crashed before its cleanup) leaves its databases and module roles behind. Names
 * carry the pid of the process that made them, and the server is on 127.0.0.1, so a pid that is no longer alive here
 * marks a leftover.
 */
async function dropLeftovers(admin: <T>(run: (client: pg.Client) => Promise<T>) => Promise<T>, drop: (name: string) => Promise<void>): Promise<void> {
  const names = await admin(async (client) => {
    const databases = await client.query<{ name: string }>("select datname as name from pg_database where datname ~ '^seams_bench_[0-9]+_[0-9]+$'");
    const roles = await client.query<{ name: string }>("select distinct substring(rolname from '^(seams_bench_[0-9]+_[0-9]+)_') as name from pg_roles where rolname ~ '^seams_bench_[0-9]+_[0-9]+_'");
    return [...new Set([...databases.rows, ...roles.rows].map((row) => row.name))];
  });
  for (const name of names) {
    const pid = Number(name.split('_')[2]);
    if (pid === process.pid || isProcessAlive(pid)) continue;
    await drop(name).catch(() => undefined);
  }
}

/** Server facts worth printing next to the numbers. */
export async function describeServer(url: string): Promise<{ version: string; fsync: string; synchronousCommit: string; dataDirectory: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const show = async (name: string) => (await client.query<Record<string, string>>(`show ${name}`)).rows[0]![name]!;
    return {
      version: await show('server_version'),
      fsync: await show('fsync'),
      synchronousCommit: await show('synchronous_commit'),
      // Its postmaster.pid names the server's process: the benchmark counts the server's CPU when it is on this machine.
      dataDirectory: await show('data_directory'),
    };
  } finally {
    await client.end();
  }
}
