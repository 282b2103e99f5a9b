import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigSchema } from '#platform/config.ts';
import { ensureDatabase } from '#platform/db/ensure-database.ts';
import { MANIFEST_FILE } from '#platform/files/cached-directory.ts';
import { natsForTests, type TestNats } from '../support/nats-server.ts';
import { otlpAttribute, startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.ts';
import { binaryCommand, descendantExecutables, pathWithoutNode, seamsBinary } from '../support/seams-binary.ts';
import { signToken } from '../support/shop-client.ts';
import { freePort } from '../support/split-topology.ts';
import { dropTestDatabase, testDatabaseName } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';
import { killLeftovers, postgresProcessesIn, spawnSeams, startSeams, TEST_JWT_SECRET, type RunningSeams } from './seams-process.ts';

/**
 * The single binary (dist/seams-linux-x64) as a user runs it: an empty environment whose PATH holds no node, on its
 * embedded PostgreSQL, on the machine's PostgreSQL, and split in two processes over NATS. Each time an order gets
 * confirmed, /health/ready answers, the spans reach an OTLP receiver, and SIGTERM stops it leaving no postgres behind.
 */

const SERVICE_TOKEN = 'binary-test-service-token-of-at-least-32-chars';
const ORDER_TIMEOUT_MS = 30_000;

let binary: string;
let scratch: string;
let bin: string;
let otlp: OtlpReceiver;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'seams-binary-'));
  // mkdtemp makes it 0700; as root, the embedded PostgreSQL runs as the OS user postgres, which must enter it.
  await chmod(scratch, 0o755);
  [binary, bin, otlp] = await Promise.all([seamsBinary(), pathWithoutNode(path.join(scratch, 'bin')), startOtlpReceiver()]);
}, 300_000);
afterEach(killLeftovers);
afterAll(async () => {
  await killLeftovers();
  await otlp?.close();
  await rm(scratch, { recursive: true, force: true });
});

/** The environment a user's shell would pass: PATH (without node), HOME, and the Seams settings of the test. */
function userEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: bin, HOME: path.join(scratch, 'home'), LOG_LEVEL: 'info', ...env };
}

async function startBinary(env: Record<string, string>, cwd = scratch): Promise<RunningSeams> {
  return startSeams(userEnv(env), 240_000, binaryCommand(binary, cwd));
}

/** SIGTERM, as `docker stop` sends it; resolves with the exit code. */
async function stop(seams: RunningSeams): Promise<number | null> {
  seams.child.kill('SIGTERM');
  return (await seams.exited).code;
}

const bearer = (sub: string, roles: string[], secret = TEST_JWT_SECRET) => ({ authorization: `Bearer ${signToken({ sub, roles }, secret)}` });

async function call(base: string, method: string, url: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

/** A product with stock, created through the API by an admin. */
async function stockedProduct(base: string, admin: Record<string, string>): Promise<string> {
  const created = await call(base, 'POST', '/catalog/products', admin, { sku: `BIN-${randomUUID().slice(0, 8)}`, name: 'Binary mug', priceCents: 1500, currency: 'EUR' });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  const stocked = await call(base, 'PUT', `/inventory/items/${created.json.id}`, admin, { onHand: 5 });
  expect([200, 201]).toContain(stocked.status);
  return created.json.id;
}

/** Places an order for one of `productId` and waits until it is confirmed; returns its id. */
async function orderConfirmed(base: string, customer: Record<string, string>, productId: string): Promise<string> {
  const placed = await call(base, 'POST', '/orders', customer, { lines: [{ productId, quantity: 1 }] });
  expect(placed.status, JSON.stringify(placed.json)).toBe(202);
  const id = placed.json.id as string;
  await waitFor(async () => (await call(base, 'GET', `/orders/${id}`, customer)).json.status === 'confirmed', { timeoutMs: ORDER_TIMEOUT_MS, message: `order ${id} confirmed` });
  return id;
}

/**
 * The trace of the POST that placed the order reached the receiver from `services`: the request's server span, the
 * publish of the order, and the payment handler, all in one trace. Returns the trace id.
 */
async function expectOrderTrace(orderRequest: { services: { http: string; payments: string } }, since: number): Promise<string> {
  const spans = () => otlp.spans().slice(since);
  await waitFor(() => spans().some((span) => span.name === 'ordering.PaymentRequested handle' && span.service === orderRequest.services.payments), {
    timeoutMs: 15_000,
    message: 'the payment handler span arrived',
  });
  const post = spans().find((span) => span.name === 'POST /orders' && span.service === orderRequest.services.http);
  expect(post, 'a server span POST /orders').toBeDefined();
  const trace = spans().filter((span) => span.traceId === post!.traceId);
  expect(trace.map((span) => span.name)).toEqual(expect.arrayContaining(['POST /orders', 'catalog.getProducts', 'ordering.OrderPlaced publish', 'ordering.PaymentRequested handle']));
  // order-history takes PaymentRequested too (in the http process): the payments module's handler is the one that matters.
  expect(trace.filter((span) => span.name === 'ordering.PaymentRequested handle').map((span) => span.service)).toContain(orderRequest.services.payments);
  // SQL spans too: Seams makes them at each pool, so a bundle that nothing can patch has them as well. The order's
  // insert hangs under the request, and the payment handler's statements under the handler.
  const sql = trace.filter((span) => otlpAttribute(span.attributes, 'db.system.name') === 'postgresql');
  const insert = sql.find((span) => /^insert into "orders"/.test(otlpAttribute(span.attributes, 'db.query.text') ?? ''));
  expect(insert, `the order's insert among ${sql.length} SQL spans`).toBeDefined();
  expect(otlpAttribute(insert!.attributes, 'db.operation.name')).toBe('INSERT');
  const handler = trace.find((span) => span.name === 'ordering.PaymentRequested handle' && span.service === orderRequest.services.payments)!;
  expect(sql.some((span) => span.parentSpanId === handler.spanId)).toBe(true);
  return post!.traceId;
}

/** The binary never starts a node (PATH has none) nor a copy of itself: only PostgreSQL's programs and the shell. */
async function expectNoNodeChildren(seams: RunningSeams): Promise<void> {
  for (const executable of await descendantExecutables(seams.pid)) {
    expect(path.basename(executable)).not.toMatch(/^node/);
    expect(executable).not.toBe(binary);
  }
}

describe('the single binary', { timeout: 400_000 }, () => {
  it('prints its version and commit, and its configuration table, without starting anything', async () => {
    const version = spawnSeams(userEnv({}), binaryCommand(binary, scratch, ['--version']));
    expect((await version.exited).code).toBe(0);
    expect(version.output.stdout).toMatch(/^seams \d+\.\d+\.\d+ \(commit [0-9a-f]{12}(-dirty)?, Node\.js 24\.\d+\.\d+\)\n$/);

    const help = spawnSeams(userEnv({}), binaryCommand(binary, scratch, ['--help']));
    expect((await help.exited).code).toBe(0);
    expect(help.output.stdout).toContain('Usage: seams-linux-x64 [command]');
    for (const name of Object.keys(ConfigSchema.properties)) expect(help.output.stdout).toContain(`  ${name}  (`);
  });

  it('on its embedded PostgreSQL: unpacks it once, confirms an order, traces it, serves /docs and /metrics, and stops on SIGTERM', async () => {
    const dataDir = path.join(scratch, 'embedded');
    const cacheDir = path.join(scratch, 'cache');
    const spansBefore = otlp.spans().length;
    const seams = await startBinary({ DATA_DIR: dataDir, CACHE_DIR: cacheDir, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint, OTEL_SERVICE_NAME: 'seams-binary' });
    const [, customerToken] = await seams.waitForStderr(/CUSTOMER_TOKEN=(\S+)/, 60_000);
    const [, adminToken] = await seams.waitForStderr(/ADMIN_TOKEN=(\S+)/);

    expect(seams.lines).toContainEqual(expect.objectContaining({ msg: 'unpacked the embedded PostgreSQL into the cache', folder: expect.stringMatching(new RegExp(`^${cacheDir}/postgres-[0-9a-f]{16}$`)) }));
    const server = seams.lines.find((line) => line.msg === 'embedded PostgreSQL started');
    expect(server?.dataDir).toBe(path.join(dataDir, 'postgres'));
    expect((await call(seams.url, 'GET', '/health/ready')).status).toBe(200);
    const demo = (await call(seams.url, 'GET', '/catalog/products?limit=1')).json.items[0].id as string;
    await orderConfirmed(seams.url, { authorization: `Bearer ${customerToken}` }, demo);
    await expectNoNodeChildren(seams);

    // The API docs' page and scripts come from the binary too (unpacked beside PostgreSQL).
    expect((await fetch(`${seams.url}/docs/`)).status).toBe(200);
    expect((await fetch(`${seams.url}/docs/static/swagger-ui-bundle.js`)).status).toBe(200);
    // So do the console's page and its script, under the strict CSP.
    const consolePage = await fetch(`${seams.url}/console/`);
    expect(consolePage.status).toBe(200);
    expect(consolePage.headers.get('content-security-policy')).toContain("script-src 'self'");
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(await consolePage.text())?.[1];
    expect((await fetch(`${seams.url}${script}`)).status).toBe(200);
    const metrics = await fetch(`${seams.url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(await metrics.text()).toMatch(/^seams_orders_confirmed_total(\{[^}]*\})? 1$/m);

    expect(await stop(seams)).toBe(0);
    expect(await postgresProcessesIn(server!.dataDir as string)).toEqual([]);
    const traceId = await expectOrderTrace({ services: { http: 'seams-binary', payments: 'seams-binary' } }, spansBefore);
    // Log lines carry the trace id, from the logger's mixin (nothing can patch pino inside a bundle).
    expect(seams.lines).toContainEqual(expect.objectContaining({ msg: 'request completed', trace_id: traceId }));
  });

  it('finds a damaged or incomplete unpacked copy on the next start and writes it again', async () => {
    const dataDir = path.join(scratch, 'embedded');
    const cacheDir = path.join(scratch, 'cache');
    const folders = await readdir(cacheDir);
    const postgres = path.join(cacheDir, folders.find((name) => name.startsWith('postgres-'))!);
    const docs = path.join(cacheDir, folders.find((name) => name.startsWith('swagger-ui-'))!);
    // A file cut short (as a full disk leaves it), and a folder whose unpacking never finished (no manifest yet).
    await truncate(path.join(postgres, 'bin', 'pg_ctl'), 1000);
    await rm(path.join(docs, MANIFEST_FILE));

    const started = Date.now();
    const seams = await startBinary({ DATA_DIR: dataDir, CACHE_DIR: cacheDir, OTEL_SDK_DISABLED: 'true' });

    expect(seams.lines).toContainEqual(
      expect.objectContaining({ msg: 'replacing a damaged or incomplete copy of the embedded PostgreSQL', folder: postgres, problem: expect.stringContaining('bin/pg_ctl has 1000 bytes') }),
    );
    expect(seams.lines).toContainEqual(expect.objectContaining({ msg: 'replacing a damaged or incomplete copy of the swagger-ui files', folder: docs }));
    expect(seams.lines.map((line) => line.msg)).not.toContain('initialised embedded PostgreSQL cluster');
    expect((await call(seams.url, 'GET', '/health/ready')).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(120_000);
    expect(await stop(seams)).toBe(0);
  });

  it('says in plain words, with its own exit code, when the cache is full or read-only', async (context) => {
    const mountPoint = path.join(scratch, 'small-disk');
    await mkdir(mountPoint);
    const mount = (options: string) => spawnSeams({ PATH: process.env.PATH ?? '' }, { file: 'mount', args: ['-t', 'tmpfs', '-o', options, 'tmpfs', mountPoint], cwd: scratch, cleanEnv: true }).exited;
    const umount = () => spawnSeams({ PATH: process.env.PATH ?? '' }, { file: 'umount', args: [mountPoint], cwd: scratch, cleanEnv: true }).exited;
    if ((await mount('size=2m')).code !== 0) return context.skip('no permission to mount a small file system here (needs root)');
    try {
      const full = spawnSeams(userEnv({ DATA_DIR: path.join(scratch, 'full'), CACHE_DIR: mountPoint }), binaryCommand(binary, scratch));
      expect((await full.exited).code).toBe(74);
      expect(full.output.stderr).toContain(`the disk holding ${mountPoint} is full (ENOSPC)`);
      expect(full.output.stderr).not.toMatch(/^\s+at /m);
      await umount();

      expect((await mount('ro,size=2m')).code).toBe(0);
      const readOnly = spawnSeams(userEnv({ DATA_DIR: path.join(scratch, 'read-only'), CACHE_DIR: path.join(mountPoint, 'seams') }), binaryCommand(binary, scratch));
      expect((await readOnly.exited).code).toBe(73);
      expect(readOnly.output.stderr).toContain('is on a read-only file system (EROFS)');
      expect(readOnly.output.stderr).not.toMatch(/^\s+at /m);
    } finally {
      await umount();
    }
  });

  describe('on a PostgreSQL of its own (DATABASE_URL)', () => {
    let server: string;
    const databases: string[] = [];
    const freshDatabase = async () => {
      const name = `${testDatabaseName()}_binary`;
      databases.push(name);
      return ensureDatabase(server, name);
    };
    beforeAll(async () => {
      server = await machinePostgres();
    });
    afterAll(async () => {
      for (const name of databases) await dropTestDatabase(server, name);
    });

    it('`migrate` provisions and migrates every module, then exits', async () => {
      const databaseUrl = await freshDatabase();
      const migrate = spawnSeams(userEnv({ DATABASE_URL: databaseUrl, DB_POOL_MAX: '2', OTEL_SDK_DISABLED: 'true' }), binaryCommand(binary, scratch, ['migrate']));
      expect((await migrate.exited).code).toBe(0);
      expect(migrate.lines).toContainEqual(expect.objectContaining({ msg: 'migrations applied' }));

      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ name: string }>('select name from catalog.kysely_migration order by name');
        expect(rows.map((row) => row.name)).toEqual(['0001_create_products']);
      } finally {
        await client.end();
      }
    });

    it('confirms an order, traces it, and stops on SIGTERM', async () => {
      const spansBefore = otlp.spans().length;
      const seams = await startBinary({
        DATABASE_URL: await freshDatabase(),
        JWT_SECRET: TEST_JWT_SECRET,
        DB_POOL_MAX: '2',
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
        OTEL_SERVICE_NAME: 'seams-binary-external',
      });
      expect((await call(seams.url, 'GET', '/health/ready')).status).toBe(200);
      const product = await stockedProduct(seams.url, bearer('binary-admin', ['admin']));
      await orderConfirmed(seams.url, bearer('binary-customer', []), product);
      await expectNoNodeChildren(seams);

      expect(await stop(seams)).toBe(0);
      await expectOrderTrace({ services: { http: 'seams-binary-external', payments: 'seams-binary-external' } }, spansBefore);
    });
  });

  describe('split in two processes of one binary (MODULES=payments and the rest), over NATS', () => {
    let nats: TestNats;
    beforeAll(async () => {
      nats = await natsForTests({ own: true });
    });
    afterAll(async () => {
      await nats?.stop();
    });

    it('confirms an order across both, in one trace, each on its embedded PostgreSQL, and both stop on SIGTERM', async (context) => {
      if (!nats.url) return context.skip(nats.skipped);
      const [paymentsPort, restPort] = await Promise.all([freePort(), freePort()]);
      const at = (port: number) => `http://127.0.0.1:${port}`;
      const common = (group: string) => ({
        // One cache for both, unpacked by whichever comes first while the other waits or finds it done.
        CACHE_DIR: path.join(scratch, 'split-cache'),
        JWT_SECRET: TEST_JWT_SECRET,
        SERVICE_TOKEN,
        NATS_URL: nats.url!,
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
        OTEL_SERVICE_NAME: `seams-binary-${group}`,
        DATA_DIR: path.join(scratch, `split-${group}`),
      });
      const spansBefore = otlp.spans().length;
      const [payments, rest] = await Promise.all([
        startBinary({ ...common('payments'), MODULES: 'payments', PORT: String(paymentsPort), REMOTE_MODULES: `ordering=${at(restPort)}` }),
        startBinary({ ...common('rest'), MODULES: 'catalog,inventory,ordering,order-history', PORT: String(restPort), REMOTE_MODULES: `payments=${at(paymentsPort)}` }),
      ]);

      for (const seams of [payments, rest]) expect((await call(seams.url, 'GET', '/health/ready')).status).toBe(200);
      const product = await stockedProduct(rest.url, bearer('binary-admin', ['admin']));
      await orderConfirmed(rest.url, bearer('binary-customer', []), product);
      await expectNoNodeChildren(payments);
      await expectNoNodeChildren(rest);

      const dataDirs = [payments, rest].map((seams) => seams.lines.find((line) => line.msg === 'embedded PostgreSQL started')?.dataDir as string);
      expect(await Promise.all([stop(payments), stop(rest)])).toEqual([0, 0]);
      for (const dataDir of dataDirs) expect(await postgresProcessesIn(dataDir)).toEqual([]);
      await expectOrderTrace({ services: { http: 'seams-binary-rest', payments: 'seams-binary-payments' } }, spansBefore);
    });
  });
});

/**
 * The machine's PostgreSQL (127.0.0.1:5432, as CI has it), or DATABASE_URL's server when the run has one; the run's
 * embedded test server when neither answers, so the scenario still runs against a server the binary did not start.
 */
async function machinePostgres(): Promise<string> {
  const candidates = [process.env.DATABASE_URL, 'postgres://postgres@127.0.0.1:5432/postgres'].filter((url): url is string => Boolean(url));
  for (const url of candidates) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.end();
      return url;
    } catch {
      await client.end().catch(() => undefined);
    }
  }
  return inject('serverUrl');
}
