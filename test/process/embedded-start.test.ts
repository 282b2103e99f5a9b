import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, killLeftovers, postgresProcessesIn, startSeams, within, type RunningSeams } from './seams-process.ts';

/**
 * `npm start` with no DATABASE_URL, as on a fresh machine: the app runs its own PostgreSQL in DATA_DIR. The steps run in
 * order on one data directory, as one person's day would: start, stop, start again, crash, start again, lose the DB.
 */

const TIMEOUT = 90_000;

let scratch: string;
let pgData: string;
/** The product created on an earlier start, looked for by the later ones. */
let product: { id: string; sku: string };
/** The admin token printed by the first start. */
let firstAdminToken: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'seams-embedded-process-'));
  // mkdtemp makes it 0700; as root, PostgreSQL runs as the OS user postgres, which must be able to enter it.
  await chmod(scratch, 0o755);
  pgData = path.join(scratch, 'postgres');
});
afterEach(killLeftovers);
afterAll(async () => {
  await killLeftovers();
  // A failed step may leave a server behind that nothing else would ever stop.
  for (const pid of await postgresProcessesIn(pgData)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await rm(scratch, { recursive: true, force: true });
});

interface Started extends RunningSeams {
  /** The admin token the start-up output offers for copying. */
  readonly adminToken: string;
}

/** `npm start` with only DATA_DIR set, up to the point where it has printed its ready-made tokens. */
async function start(): Promise<Started> {
  // A first start runs initdb and every migration: generous, as a loaded CI machine can take minutes for it.
  const seams = await startSeams({ DATA_DIR: scratch }, 240_000);
  const [, adminToken] = await seams.waitForStderr(/ADMIN_TOKEN=(\S+)/, 120_000);
  return { ...seams, adminToken: adminToken! };
}

describe('npm start without DATABASE_URL', { timeout: 360_000 }, () => {
  it('creates a PostgreSQL cluster in DATA_DIR on the first start, migrates, serves, and prints tokens to use', async () => {
    const seams = await start();
    firstAdminToken = seams.adminToken;

    expect(seams.lines).toContainEqual(expect.objectContaining({ msg: 'initialised embedded PostgreSQL cluster', dataDir: pgData }));
    const started = seams.lines.find((line) => line.msg === 'embedded PostgreSQL started');
    expect(started).toMatchObject({ dataDir: pgData });
    // A port the OS found free, not PostgreSQL's 5432 (taken on CI by the machine's own server).
    expect(started?.port).not.toBe(5432);
    expect(seams.output.stderr).toContain(`Seams is running at ${seams.url}`);
    expect((await fetch(`${seams.url}/health/ready`)).status).toBe(200);
    product = await createProduct(seams, seams.adminToken);

    // The console link signs the local admin in once: its code trades for an admin token, and never again.
    const [, link, code] = await seams.waitForStderr(/Console \(signs you in as the local admin, once\): (\S+\/console\/#code=([A-Za-z0-9_-]+))/, 10_000);
    expect(link).toBe(`${seams.url}/console/#code=${code}`);
    const redeem = () => fetch(`${seams.url}/admin/console/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
    const first = await redeem();
    expect(first.status).toBe(200);
    const { token } = (await first.json()) as { token: string };
    expect((await fetch(`${seams.url}/admin/console/system`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await redeem()).status).toBe(401);

    await stop(seams, 'SIGTERM');
  }, TIMEOUT);

  it('on SIGINT (Ctrl-C) exits 0 and leaves no PostgreSQL process behind', async () => {
    const seams = await start();
    expect(await postgresProcessesIn(pgData)).not.toEqual([]);

    await stop(seams, 'SIGINT');

    expect(await postgresProcessesIn(pgData)).toEqual([]);
  }, TIMEOUT);

  it('reuses the data and the development secret on the next start', async () => {
    const seams = await start();

    expect(seams.lines.map((line) => line.msg)).not.toContain('initialised embedded PostgreSQL cluster');
    expect(await readProduct(seams, product.id)).toMatchObject(product);
    // Tokens printed by an earlier start still work: the secret was kept in DATA_DIR.
    await createProduct(seams, firstAdminToken);

    await stop(seams, 'SIGTERM');
  }, TIMEOUT);

  it('after the app is killed with SIGKILL, the next start stops the PostgreSQL it left and serves the same data', async () => {
    const killed = await start();
    killed.child.kill('SIGKILL');
    await killed.exited;
    const orphans = await postgresProcessesIn(pgData);
    // pg_ctl detaches the server, so it outlives its app: exactly what the next start must clean up.
    expect(orphans).not.toEqual([]);

    const seams = await start();

    expect(seams.lines).toContainEqual(expect.objectContaining({ msg: 'stopping stale embedded PostgreSQL left behind by a process that died', ownerPid: killed.pid }));
    const now = await postgresProcessesIn(pgData);
    for (const pid of orphans) expect(now).not.toContain(pid);
    expect(await readProduct(seams, product.id)).toMatchObject(product);

    await stop(seams, 'SIGTERM');
    expect(await postgresProcessesIn(pgData)).toEqual([]);
  }, TIMEOUT);

  it('answers /health/ready with 503 problem+json while its database is down, and stays live', async () => {
    const seams = await start();
    expect((await fetch(`${seams.url}/health/ready`)).status).toBe(200);

    // A fast shutdown of the postmaster, as `pg_ctl stop -m fast` sends it: the database goes away under the app.
    const postmasterPid = Number((await readFile(path.join(pgData, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    process.kill(postmasterPid, 'SIGINT');
    await eventually(async () => (await postgresProcessesIn(pgData)).length === 0, 20_000, 'PostgreSQL stopped');
    await sleep(200);
    expect(seams.child.exitCode, `the app exited when its database went away:\n${seams.output.stdout.slice(-3000)}`).toBeNull();

    const ready = await fetch(`${seams.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await ready.json()) as { status: number; code: string; failing: string[] };
    expect(problem).toMatchObject({ status: 503, code: 'NOT_READY' });
    expect(problem.failing).toContain('database:catalog');
    expect((await fetch(`${seams.url}/health/live`)).status).toBe(200);

    await stop(seams, 'SIGTERM');
  }, TIMEOUT);
});

async function stop(seams: RunningSeams, signal: NodeJS.Signals): Promise<void> {
  seams.child.kill(signal);
  const exit = await within(10_000, seams.exited, `exit after ${signal}`);
  expect(exit, seams.output.stdout + seams.output.stderr).toMatchObject({ code: 0 });
  await eventually(async () => (await postgresProcessesIn(pgData)).length === 0, 5_000, 'embedded PostgreSQL stopped');
}

async function createProduct(seams: RunningSeams, adminToken: string): Promise<{ id: string; sku: string }> {
  const body = { sku: `EMB-${randomUUID().slice(0, 8)}`, name: 'Embedded mug', priceCents: 1500, currency: 'EUR' };
  const response = await fetch(`${seams.url}/catalog/products`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  const { id, sku } = (await response.json()) as { id: string; sku: string };
  return { id, sku };
}

async function readProduct(seams: RunningSeams, id: string): Promise<unknown> {
  const response = await fetch(`${seams.url}/catalog/products/${id}`);
  expect(response.status).toBe(200);
  return response.json();
}
