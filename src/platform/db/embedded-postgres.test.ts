import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, readlink, realpath, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.ts';

const TIMEOUT = 60_000;

const dataDirs: string[] = [];
const servers: EmbeddedPostgres[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

afterAll(async () => {
  // A failed test may leave a server behind; nothing else would ever stop it.
  for (const dataDir of dataDirs) {
    for (const pid of await processesIn(dataDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  await Promise.all(dataDirs.map((dataDir) => rm(path.dirname(dataDir), { recursive: true, force: true })));
});

describe('startEmbeddedPostgres', () => {
  it('starts a server that accepts connections, and stops it completely', async () => {
    const dataDir = await newDataDir();
    const { logger, lines } = capturingLogger();
    const server = await start(dataDir, logger);

    expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
    expect(await query(server.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    const settings = "select current_setting('listen_addresses') as listen, current_setting('fsync') as fsync";
    expect(await query(server.url, settings)).toEqual([{ listen: '127.0.0.1', fsync: 'on' }]);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'embedded PostgreSQL started', port: server.port, dataDir }));

    await server.stop();
    await server.stop();
    expect(await portIsOpen(server.port)).toBe(false);
    expect(await processesIn(dataDir)).toEqual([]);
  }, TIMEOUT);

  it('reuses the cluster on the next start', async () => {
    const dataDir = await newDataDir();
    const first = await start(dataDir);
    await query(first.url, 'create table kept (value text)');
    await query(first.url, "insert into kept values ('still here')");
    await first.stop();

    const second = await start(dataDir);
    expect(await query(second.url, 'select value from kept')).toEqual([{ value: 'still here' }]);
  }, TIMEOUT);

  it('stops the server of a process that was killed, but not that of a live one', async () => {
    const dataDir = await newDataDir();
    const { child, url } = await startInChild(dataDir);
    await expect(start(dataDir)).rejects.toThrow(`${dataDir} is in use by another process (pid ${child.pid})`);

    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const stalePid = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    expect(await query(url, 'select 1 as one')).toEqual([{ one: 1 }]);

    const { logger, lines } = capturingLogger();
    const server = await start(dataDir, logger);
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, postmasterPid: stalePid, ownerPid: child.pid }));
    expect(await processesIn(dataDir)).not.toContain(stalePid);
    expect(await query(server.url, 'select 1 as one')).toEqual([{ one: 1 }]);
  }, TIMEOUT);
});

async function newDataDir(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'seams-embedded-pg-'));
  // mkdtemp makes it 0700; as root, the server runs as the postgres user, which must be able to enter it.
  await chmod(root, 0o755);
  const dataDir = path.join(root, 'data');
  dataDirs.push(dataDir);
  return dataDir;
}

async function start(dataDir: string, logger = pino({ level: 'silent' })): Promise<EmbeddedPostgres> {
  const server = await startEmbeddedPostgres({ dataDir, logger });
  servers.push(server);
  return server;
}

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** Another Node process, so that it can be killed with SIGKILL while its server keeps running. */
async function startInChild(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const moduleUrl = new URL('./embedded-postgres.ts', import.meta.url).href;
  const script = `
    import { startEmbeddedPostgres } from ${JSON.stringify(moduleUrl)};
    const logger = { info() {}, warn() {} };
    const server = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, logger });
    console.log(server.url);
    setInterval(() => {}, 60_000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`child exited (code ${code}) before its server started`)));
  });
  return { child, url };
}

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

function portIsOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Live processes whose working directory is `dataDir`: every postgres server process chdirs there. Linux only. */
async function processesIn(dataDir: string): Promise<number[]> {
  const dir = await realpath(dataDir).catch(() => dataDir);
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const cwds = await Promise.all(pids.map((pid) => readlink(`/proc/${pid}/cwd`).catch(() => undefined)));
  return pids.filter((_, index) => cwds[index] === dir).map(Number);
}
