// HTTP benchmark: `npm run bench:http`. Compares the app's product read with a bare fastify + pg server doing the same
// SQL (DESIGN.md, "Measured anchors for HTTP": target >= 0.90 of bare), then measures placing orders and how fast they
// complete through the event bus.
//
//   platform (PLATFORM=1, the default; bench/http-platform.ts) all servers up at once, alternating rounds: bare
//           fastify + pg, bare + the standard OpenTelemetry setup, Seams untraced, Seams traced (OTLP to a local
//           receiver) on GET /catalog/products/:id, and bare + JWT verify against Seams on GET /orders/:id; prints the
//           issue-13 ratios, then RSS after 60 s of reads and over 5 min of reads and orders, and the warm start time.
//           Then the tracing phase's orders workload (placing orders with tracing on against off).
//   The phases below are off by default since the platform phase (READS=1, ORDERS=1, MICRO=1 turn them on):
//   read    GET /catalog/products/:id with CONNECTIONS closed-loop connections (autocannon), WARMUP s then DURATION s
//           per server, the servers taken in turn (each started fresh) and the order flipped every run; medians of
//           RUNS. After each closed-loop window, RATE_SECS s open loop at RATE req/s: CPU per request at equal load
//           (steadier than req/s on a shared machine). Servers:
//             app          node src/main.ts (MODULES=all, LOG_LEVEL=LOG_LEVEL, default warn), a child process
//             bare         bench/http-bare-server.ts: fastify + pg, same table, same SQL, same superuser, same pool size
//             app MODULES=catalog  the catalog alone: no event-bus workers beside the requests (APP_CATALOG_ONLY=1)
//             app@info     the app at LOG_LEVEL=info, stdout to /dev/null (APP_INFO=1)
//             bare+...     VARIANTS: the bare server with one piece of the app switched on each (see PRESETS), to find
//                          where the gap goes. VARIANTS=all runs every preset (raise MAX_SECS).
//   orders  when src/modules.ts registers ordering (with inventory and payments): POST /orders for DURATION s with
//           CONNECTIONS connections (customer token, one line of quantity 1, ORDER_PRODUCTS products each with ample
//           stock set through PUT /inventory/items/:id), then waits until every order placed in the window is
//           confirmed or cancelled (read from ordering.orders); completed orders/s = orders / (first placed -> last
//           settled). Medians of RUNS; all orders of the warm-up settle before the first window.
//   tracing the read, and placing orders (POST /orders req/s, and orders settled per second), with tracing on
//           (always-on sampling, batch exporter to a local OTLP/HTTP receiver that counts the spans) against tracing
//           off (OTEL_SDK_DISABLED=true), in TRACING_PAIRS interleaved pairs of short windows per workload, each app on
//           a database of its own: bench/http-tracing.ts. Prints per-pair ratios, their medians against the targets (read
//           at most 15 % fewer req/s, orders 10 %), and the machine load. Alone: `npm run bench:http:tracing`.
//
// One server runs at a time: each is started for its run's windows and stopped after, since an idle app is not idle
// (its event bus works in the background; the first line of output says how much) and would slow whatever runs
// beside it. Before the reads, IDLE_SECS s of no requests measure that background work.
//
// Placement (2 cores here): the server under test and PostgreSQL are separate processes; the load generator
// (autocannon) runs in this process, which does nothing else during a window. Nothing is pinned by default: on 2
// cores, pinning the server to one core leaves PostgreSQL and the load generator fighting over the other.
// SERVER_CPUS / LOAD_CPUS (taskset lists, e.g. 0 and 1) pin the servers and this process to try otherwise.
//
// Env: DATABASE_URL  a server where we may create databases and roles (a fresh one is made and dropped); unset: an
//                    embedded PostgreSQL with its data in .data/bench-http-postgres
//      RUNS (3) DURATION (10) WARMUP (3) CONNECTIONS (32) DB_POOL_MAX (10, app and bare alike)
//      LOG_LEVEL (warn) APP_CATALOG_ONLY (1) APP_INFO (1) VARIANTS (none; a list of PRESETS, or all)
//      TRACING_PAIRS (6; 0 skips the tracing phase) TRACING_SECS (8) TRACING_WARMUP (2)
//      TRACING_OFF (disabled: OTEL_SDK_DISABLED=true with the same --import, as `npm start` runs; no-import: no --import)
//      TRACING_ON_ENV (extra env of the tracing-on app only, NAME=value,NAME=value: to take the cost apart)
//      TRACING_WORKLOADS (orders with PLATFORM=1, whose rounds have the traced read; read,orders otherwise; orders only
//                        when ordering is registered)
//      IDLE_SECS (5; the idle app's own CPU use, measured first) READS (0; 1: the per-server read phase)
//      RATE (1000 req/s; 0 skips the open-loop windows) RATE_SECS (5)
//      ORDERS (0; 1: the orders phase, when ordering is registered) ORDER_PRODUCTS (10) DRAIN_TIMEOUT_SECS (300)
//      PLATFORM (1) PLATFORM_ROUNDS (3) PLATFORM_SECS (8) PLATFORM_WARMUP (2) MEMORY_SECS (60) MIXED_SECS (300)
//      MIXED_ORDER_RATE (50) START_RUNS (3): see bench/http-platform.ts
//      MICRO (0; 1: also bench/http-micro.ts, the suspects' CPU cost in isolation) MAX_SECS (2700, the whole run)
//      SERVER_CPUS LOAD_CPUS (taskset lists) JSON_OUT (file for every per-run number)
//      APP_HEAP_FLAGS (1: the app runs with npm start's heap flags, src/cli/heap-flags.ts; 0: V8's defaults)
//      APP_ENTRY (bundle: an app started "as npm start runs it" runs scripts/start.mjs, the bundle dist/app/seams.cjs,
//                built first if stale; source: node --import src/telemetry.ts src/main.ts, as npm start ran it before.
//                Apps started without the --import, e.g. TRACING_OFF=no-import, always run the sources)
//      APP_ENTRIES (the start and memory phases only: e.g. bundle,source alternates both in one run; see http-platform.ts;
//                  an entry's heap flags can differ: bundle+v8heap runs it with none, bundle+semi=8 with an 8 MB semi-space,
//                  +old=<MB> another old-space cap, +size with --optimize-for-size, +pool=<N> with --v8-pool-size=<N>,
//                  +arena=<N> with MALLOC_ARENA_MAX=<N>, +env:NAME=VALUE with another env var; e.g. bundle+semi=8+size;
//                  a tweak of no such name, e.g. bundle+b, only tells two runs of the same entry apart)
//      APP_NODE_FLAGS / BARE_NODE_FLAGS (extra node flags, e.g. --cpu-prof --cpu-prof-dir=.data/bench-http-logs/prof)
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { createLogger } from '#platform/logger.ts';
import { roleName, withDatabase } from '#platform/db/database-names.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '#platform/db/embedded-postgres.ts';
import { ident } from '#platform/db/provision.ts';
import { HEAP_FLAGS } from '../src/cli/heap-flags.ts';
import { ensureBundle } from '../scripts/app-bundle-freshness.mjs';
import { moduleNames } from '../src/modules.ts';
import { platformPhase, type AppEntry, type PlatformResult } from './http-platform.ts';
import { tracingPhase, type TracingResult, type Workload } from './http-tracing.ts';
import { countOrders, cpuMs, f0, f1, f2, freePort, load, median, signToken, startChild, stopAllChildren, table, waitSettled, type ChildServer, type LoadOptions, type LoadResult } from './http-support.ts';

const env = (name: string, fallback: string) => (process.env[name] === undefined || process.env[name] === '' ? fallback : process.env[name]!);
const CFG = {
  runs: Number(env('RUNS', '3')),
  duration: Number(env('DURATION', '10')),
  warmup: Number(env('WARMUP', '3')),
  connections: Number(env('CONNECTIONS', '32')),
  logLevel: env('LOG_LEVEL', 'warn'),
  appInfo: env('APP_INFO', '1') === '1',
  appCatalogOnly: env('APP_CATALOG_ONLY', '1') === '1',
  tracingPairs: Number(env('TRACING_PAIRS', '6')),
  tracingSecs: Number(env('TRACING_SECS', '8')),
  tracingWarmup: Number(env('TRACING_WARMUP', '2')),
  tracingOff: env('TRACING_OFF', 'disabled'),
  platform: env('PLATFORM', '1') === '1',
  tracingWorkloads: env('TRACING_WORKLOADS', env('PLATFORM', '1') === '1' ? 'orders' : 'read,orders').split(',').map((w) => w.trim()).filter(Boolean),
  tracingOnEnv: Object.fromEntries(
    env('TRACING_ON_ENV', '')
      .split(',')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  ),
  variants: env('VARIANTS', ''),
  rate: Number(env('RATE', '1000')),
  rateSecs: Number(env('RATE_SECS', '5')),
  orders: env('ORDERS', '0') === '1',
  orderProducts: Number(env('ORDER_PRODUCTS', '10')),
  drainTimeoutMs: Number(env('DRAIN_TIMEOUT_SECS', '300')) * 1000,
  maxSecs: Number(env('MAX_SECS', '2700')),
  poolMax: env('DB_POOL_MAX', '10'),
  serverCpus: env('SERVER_CPUS', ''),
  loadCpus: env('LOAD_CPUS', ''),
  jsonOut: env('JSON_OUT', ''),
  reads: env('READS', '0') === '1',
  idleSecs: Number(env('IDLE_SECS', '5')),
  micro: env('MICRO', '0') === '1',
  appHeapFlags: env('APP_HEAP_FLAGS', '1') === '1',
  appEntry: env('APP_ENTRY', 'bundle') as AppEntry,
};
/** Extra node flags for the app, e.g. `--cpu-prof --cpu-prof-dir=.data/bench-http-logs` to see where its time goes. */
const APP_NODE_FLAGS = env('APP_NODE_FLAGS', '').split(' ').filter(Boolean);
const BARE_NODE_FLAGS = env('BARE_NODE_FLAGS', '').split(' ').filter(Boolean);

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const LOG_DIR = path.join(ROOT, '.data', 'bench-http-logs');
const logger = createLogger('warn');

/** Bare server variants: the plain baseline plus one piece of what the app adds (see bench/http-bare-server.ts). */
const PRESETS: Record<string, (catalogRole: string) => Record<string, string>> = {
  'logger-warn': () => ({ BARE_LOGGER: 'warn' }),
  'logger-warn+req-id': () => ({ BARE_LOGGER: 'warn', BARE_REQ_ID: '1' }),
  'logger-warn+child-log': () => ({ BARE_LOGGER: 'warn', BARE_CHILD_LOG: '1' }),
  'logger-info+req-id': () => ({ BARE_LOGGER: 'info', BARE_REQ_ID: '1' }),
  'typebox-validator': () => ({ BARE_VALIDATOR: 'typebox' }),
  'no-validation': () => ({ BARE_VALIDATOR: 'none' }),
  'no-serializer': () => ({ BARE_SERIALIZER: 'none' }),
  awilix: () => ({ BARE_AWILIX: '1' }),
  swagger: () => ({ BARE_SWAGGER: '1' }),
  jwt: () => ({ BARE_JWT: '1' }),
  errors: () => ({ BARE_ERRORS: '1' }),
  metrics: () => ({ BARE_METRICS: '1' }),
  kysely: () => ({ BARE_KYSELY: 'plain' }),
  'kysely-signal': () => ({ BARE_KYSELY: 'signal' }),
  role: (role) => ({ BARE_ROLE: role }),
  'child-log-factory': () => ({ BARE_LOGGER: 'warn', BARE_REQ_ID: '1', BARE_CHILD_LOG: 'factory' }),
  'typebox-check-first': () => ({ BARE_VALIDATOR: 'typebox-check-first' }),
  'kysely-precompiled': () => ({ BARE_KYSELY: 'precompiled' }),
  'all-of-the-app': (role) => ({
    BARE_LOGGER: CFG.logLevel,
    BARE_REQ_ID: '1',
    BARE_CHILD_LOG: '1',
    BARE_VALIDATOR: 'typebox',
    BARE_AWILIX: '1',
    BARE_SWAGGER: '1',
    BARE_JWT: '1',
    BARE_ERRORS: '1',
    BARE_METRICS: '1',
    BARE_KYSELY: 'signal',
    BARE_ROLE: role,
  }),
  // The same with the suggested fixes: no per-request DI scope, one child logger, check-first validation, a query
  // compiled once.
  'all-of-the-app-fixed': (role) => ({
    BARE_LOGGER: CFG.logLevel,
    BARE_REQ_ID: '1',
    BARE_CHILD_LOG: 'factory',
    BARE_VALIDATOR: 'typebox-check-first',
    BARE_SWAGGER: '1',
    BARE_JWT: '1',
    BARE_ERRORS: '1',
    BARE_METRICS: '1',
    BARE_KYSELY: 'precompiled',
    BARE_ROLE: role,
  }),
};

// ------------------------------------------------------------------------------------------------ lifecycle / cleanup

const started = performance.now();
let embedded: EmbeddedPostgres | undefined;
let serverUrl = '';
let database = '';
/** The tracing phase's databases, one per app; dropped with the main one. */
const tracingDatabases: string[] = [];
let cleaning: Promise<void> | undefined;

async function admin<T>(run: (client: pg.Client) => Promise<T>, url = serverUrl): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

function cleanup(): Promise<void> {
  return (cleaning ??= (async () => {
    await stopAllChildren().catch((error: unknown) => console.error('bench: stopping servers failed:', error));
    if (database && serverUrl) {
      await admin(async (client) => {
        for (const name of [database, ...tracingDatabases]) await client.query(`drop database if exists ${ident(name)} with (force)`);
        // Module roles carry the database name (roleName); they belong to the server, so they go too.
        const roles = await client.query<{ rolname: string }>("select rolname from pg_roles where rolname like $1 || '\\_%'", [database]);
        for (const { rolname } of roles.rows) await client.query(`drop role if exists ${ident(rolname)}`);
      }).catch((error: unknown) => console.error(`bench: dropping ${database} failed:`, error));
    }
    await embedded?.stop().catch((error: unknown) => console.error('bench: stopping the embedded PostgreSQL failed:', error));
  })());
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\nbench: ${signal}, cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}
const watchdog = setTimeout(() => {
  console.error(`bench: over MAX_SECS=${CFG.maxSecs}, giving up`);
  void cleanup().finally(() => process.exit(1));
}, CFG.maxSecs * 1000);
watchdog.unref();

// ---------------------------------------------------------------------------------------------------------- helpers

async function api(base: string, method: string, url: string, token: string | undefined, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(base + url, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, body: parsed };
}

function expectStatus(what: string, result: { status: number; body: unknown }, ...ok: number[]): Record<string, unknown> {
  if (!ok.includes(result.status)) throw new Error(`${what}: expected ${ok.join('/')}, got ${result.status} ${JSON.stringify(result.body)}`);
  return result.body as Record<string, unknown>;
}

const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)}s`;
const say = (message: string) => console.error(`[${elapsed()}] ${message}`);

function machine(): Record<string, string> {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    host: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: `${cpus.length} x ${cpus[0]?.model ?? '?'}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    loadavg: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

// ------------------------------------------------------------------------------------------------------------- main

const secret = randomBytes(32).toString('base64url');
const adminToken = signToken(secret, 'bench-admin', ['admin']);

type Measured = LoadResult & { cpu: { serverUs: number; dbUs: number; loadUs: number } };

interface Target {
  readonly label: string;
  /** Starts this server; each runs alone, only for its own windows (an idle app's background work is not idle). */
  readonly start: () => Promise<ChildServer>;
  /** Closed loop, one per run. */
  readonly reads: Measured[];
  /** Open loop at RATE req/s, one per run. */
  readonly fixed: Measured[];
}

async function startApp(
  label: string,
  dbUrl: string,
  logLevel: string,
  modules = 'all',
  extra: { nodeArgs?: string[]; env?: Record<string, string>; pollMs?: number; entry?: AppEntry } = {},
): Promise<ChildServer> {
  const port = await freePort();
  mkdirSync(LOG_DIR, { recursive: true });
  // `--import src/telemetry.ts src/main.ts` is how npm start ran the sources; npm start now runs the bundle.
  const nodeArgs = extra.nodeArgs ?? [];
  const telemetryAt = nodeArgs.findIndex((arg, index) => arg === '--import' && nodeArgs[index + 1]?.endsWith('src/telemetry.ts'));
  // An entry may change npm start's heap flags after each +: `v8heap` (none, V8's defaults), `semi=<MB>` (another
  // semi-space), `old=<MB>` (another old-space cap), `size` (V8's --optimize-for-size).
  const [entry, ...tweaks] = (extra.entry ?? CFG.appEntry).split('+');
  const tweak = (prefix: string) => tweaks.find((t) => t.startsWith(prefix))?.slice(prefix.length);
  const heapFlags = [
    ...(!CFG.appHeapFlags || tweaks.includes('v8heap')
      ? []
      : HEAP_FLAGS.map((flag) => {
          const [name] = flag.split('=');
          const value = name === '--max-semi-space-size' ? tweak('semi=') : tweak('old=');
          return value ? `${name}=${value}` : flag;
        })),
    ...(tweaks.includes('size') ? ['--optimize-for-size'] : []),
    ...(tweak('pool=') ? [`--v8-pool-size=${tweak('pool=')}`] : []),
  ];
  // `arena=<N>`: glibc's MALLOC_ARENA_MAX for the app (an env var: malloc reads it when the process starts).
  // `env:NAME=VALUE` (any number of them): another env var of the app, e.g. env:MALLOC_TRIM_THRESHOLD_=131072.
  const mallocEnv: Record<string, string> = {
    ...(tweak('arena=') ? { MALLOC_ARENA_MAX: tweak('arena=')! } : {}),
    ...Object.fromEntries(tweaks.filter((t) => t.startsWith('env:')).map((t) => t.slice('env:'.length).split('=', 2) as [string, string])),
  };
  const bundle = entry === 'bundle' && telemetryAt >= 0;
  const entryArgs = bundle ? [...nodeArgs.slice(0, telemetryAt), ...nodeArgs.slice(telemetryAt + 2), path.join(ROOT, 'scripts/start.mjs')] : [...nodeArgs, path.join(ROOT, 'src/main.ts')];
  return startChild({
    name: label,
    // The heap flags `npm start` passes (APP_HEAP_FLAGS=0 leaves them out, to measure what they cost).
    args: [...heapFlags, ...APP_NODE_FLAGS, ...entryArgs],
    env: {
      DATABASE_URL: dbUrl,
      JWT_SECRET: secret,
      SERVICE_TOKEN: secret,
      LOG_LEVEL: logLevel,
      PORT: String(port),
      HOST: '127.0.0.1',
      DB_POOL_MAX: CFG.poolMax,
      MODULES: modules,
      // Thousands of requests a second from one address and one token: the rate limit would answer them with 429.
      RATE_LIMIT_PER_MINUTE: '0',
      ...extra.env,
      ...mallocEnv,
    },
    port,
    readyPath: '/health/ready',
    ...(extra.pollMs ? { pollMs: extra.pollMs } : {}),
    // Info-level lines under load go to /dev/null: their cost is producing them, not a disk.
    ...(logLevel === 'info' || logLevel === 'debug' || logLevel === 'trace' ? {} : { stdoutFile: path.join(LOG_DIR, `${label.replace(/\W+/g, '_')}.log`) }),
    ...(CFG.serverCpus ? { cpus: CFG.serverCpus } : {}),
  });
}

async function startBare(label: string, dbUrl: string, extra: Record<string, string>, nodeArgs: string[] = []): Promise<ChildServer> {
  const port = await freePort();
  return startChild({
    name: label,
    args: [...BARE_NODE_FLAGS, ...nodeArgs, path.join(ROOT, 'bench/http-bare-server.ts')],
    env: { DATABASE_URL: dbUrl, PORT: String(port), DB_POOL_MAX: CFG.poolMax, ...extra },
    port,
    readyPath: '/health/ready',
    ...(extra.BARE_LOGGER === 'info' ? {} : { stdoutFile: path.join(LOG_DIR, `${label.replace(/\W+/g, '_')}.log`) }),
    ...(CFG.serverCpus ? { cpus: CFG.serverCpus } : {}),
  });
}

async function main(): Promise<void> {
  const facts = machine();
  if (CFG.loadCpus) execFileSync('taskset', ['-pc', CFG.loadCpus, String(process.pid)], { stdio: 'ignore' });

  // The database server, and a fresh database on it.
  if (process.env.DATABASE_URL) {
    serverUrl = process.env.DATABASE_URL;
  } else {
    embedded = await startEmbeddedPostgres({ dataDir: path.join(ROOT, '.data/bench-http-postgres'), logger });
    serverUrl = embedded.url;
  }
  database = `seams_bench_http_${process.pid}`;
  await admin((client) => client.query(`create database ${ident(database)}`));
  const dbUrl = withDatabase(serverUrl, database);
  const pgFacts = await admin(async (client) => {
    const show = async (name: string) => (await client.query<Record<string, string>>(`show ${name}`)).rows[0]![name]!;
    return { version: await show('server_version'), fsync: await show('fsync'), synchronous_commit: await show('synchronous_commit') };
  }, dbUrl);

  const ordering = ['ordering', 'inventory', 'payments'].every((name) => moduleNames.includes(name));
  console.log(`bench:http  ${facts.date}`);
  console.log(`machine     ${facts.cpus}, ${facts.memory}, ${facts.host}, node ${facts.node}, load average at start ${facts.loadavg}`);
  console.log(`postgres    ${pgFacts.version} (${embedded ? 'embedded' : 'DATABASE_URL'}), fsync=${pgFacts.fsync}, synchronous_commit=${pgFacts.synchronous_commit}`);
  console.log(`modules     ${moduleNames.join(', ')}`);
  console.log(
    `settings    RUNS=${CFG.runs} DURATION=${CFG.duration}s WARMUP=${CFG.warmup}s CONNECTIONS=${CFG.connections} LOG_LEVEL=${CFG.logLevel} DB_POOL_MAX=${CFG.poolMax}` +
      ` placement: ${CFG.serverCpus ? `servers on cpu ${CFG.serverCpus}` : 'servers unpinned'}, ${CFG.loadCpus ? `load generator on cpu ${CFG.loadCpus}` : 'load generator unpinned'}, postgres unpinned`,
  );

  // Built before any start is timed (scripts/start.mjs would build a stale bundle inside the first one).
  ensureBundle(ROOT);

  // The app first: it provisions the schemas, roles and tables the bare server reads. Then one server at a time.
  say('starting the app');
  const app = await startApp(`app@${CFG.logLevel}`, dbUrl, CFG.logLevel);
  console.log(`first start ${f0(app.readyMs)} ms to ready (provisions and migrates the fresh database; polled every 200 ms)`);
  let readPath: string;
  try {
    const product = expectStatus(
      'creating the product',
      await api(app.url, 'POST', '/catalog/products', adminToken, { sku: 'bench-read-1', name: 'Benchmark product', priceCents: 1234, currency: 'EUR' }),
      201,
    );
    readPath = `/catalog/products/${String(product.id)}`;
    const idle = await idleCost(app, dbUrl);
    console.log(
      `idle app    over ${CFG.idleSecs} s with no requests: app CPU ${f0(idle.appPct)}% of a core, database backends ${f0(idle.dbPct)}%, ` +
        `${f0(idle.xactsPerSec)} transactions/s (background work competes with requests on ${os.cpus().length} cores)`,
    );
  } finally {
    await app.stop();
  }
  let platform: PlatformResult | undefined;
  if (CFG.platform) {
    say('platform: all servers up, alternating rounds; then memory and start time (bench/http-platform.ts)');
    platform = await platformPhase({
      root: ROOT,
      dbUrl,
      connections: CFG.connections,
      adminToken,
      customerToken: (subject) => signToken(secret, subject, []),
      secret,
      startApp: (label, nodeArgs, extraEnv, pollMs, entry) => startApp(`${label}@${CFG.logLevel}`, dbUrl, CFG.logLevel, 'all', { nodeArgs, env: extraEnv, ...(pollMs ? { pollMs } : {}), ...(entry ? { entry } : {}) }),
      startBare: (label, nodeArgs, extraEnv) => startBare(label, dbUrl, extraEnv, nodeArgs),
    });
  }
  const targets = CFG.reads ? await readPhase(dbUrl, readPath) : [];
  let tracing: TracingResult | undefined;
  if (CFG.tracingPairs > 0) {
    if (CFG.tracingOff !== 'disabled' && CFG.tracingOff !== 'no-import') throw new Error(`TRACING_OFF=${CFG.tracingOff}: expected disabled or no-import`);
    const unknown = CFG.tracingWorkloads.filter((w) => w !== 'read' && w !== 'orders');
    if (unknown.length > 0) throw new Error(`TRACING_WORKLOADS=${CFG.tracingWorkloads.join(',')}: unknown ${unknown.join(', ')}; expected read, orders or both`);
    const workloads = CFG.tracingWorkloads.filter((w): w is Workload => w === 'read' || (w === 'orders' && ordering));
    if (workloads.length < CFG.tracingWorkloads.length) console.log(`\ntracing: orders skipped: src/modules.ts does not register ordering, inventory and payments`);
    // One database per app, so neither app's event bus takes the other's events.
    const dbUrls = { off: withDatabase(serverUrl, `${database}_off`), on: withDatabase(serverUrl, `${database}_on`) };
    for (const name of [`${database}_off`, `${database}_on`]) {
      await admin((client) => client.query(`create database ${ident(name)}`));
      tracingDatabases.push(name);
    }
    say(`tracing: ${CFG.tracingPairs} pairs per workload (${workloads.join(', ')}), tracing on against off`);
    tracing = await tracingPhase({
      root: ROOT,
      dbUrls,
      adminToken,
      customerToken: (subject) => signToken(secret, subject, []),
      workloads,
      orderProducts: CFG.orderProducts,
      drainTimeoutMs: CFG.drainTimeoutMs,
      connections: CFG.connections,
      pairs: CFG.tracingPairs,
      secs: CFG.tracingSecs,
      warmup: CFG.tracingWarmup,
      off: CFG.tracingOff as 'disabled' | 'no-import',
      onEnv: CFG.tracingOnEnv,
      startApp: (label, appDbUrl, nodeArgs, extraEnv) => startApp(`${label}@${CFG.logLevel}`, appDbUrl, CFG.logLevel, 'all', { nodeArgs, env: extraEnv }),
    });
  }

  // ---- orders
  const orderRuns: OrderRun[] = [];
  if (!CFG.orders) console.log('\nPOST /orders: skipped (ORDERS=0)');
  else if (!ordering) {
    const missing = ['ordering', 'inventory', 'payments'].filter((name) => !moduleNames.includes(name));
    console.log(`\nPOST /orders: skipped: src/modules.ts does not register ${missing.join(', ')} (it registers ${moduleNames.join(', ')})`);
  } else {
    say('orders: starting the app');
    const orderingApp = await startApp(`app-orders@${CFG.logLevel}`, dbUrl, CFG.logLevel);
    try {
      orderRuns.push(...(await ordersPhase(orderingApp, dbUrl)));
    } finally {
      await orderingApp.stop();
    }
  }

  if (CFG.micro) {
    say('micro: per-request costs of the suspects, in isolation (bench/http-micro.ts)');
    const { stdout } = await execFileAsync(process.execPath, [path.join(ROOT, 'bench/http-micro.ts')], { timeout: 300_000 });
    console.log(`\n${stdout.trimEnd()}`);
  }

  console.log(`\nload average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (${os.cpus().length} cores; above ~${os.cpus().length} other work was competing)`);

  if (CFG.jsonOut) {
    writeFileSync(
      CFG.jsonOut,
      `${JSON.stringify({ machine: facts, postgres: pgFacts, config: CFG, platform, reads: targets.map((t) => ({ label: t.label, runs: t.reads, fixedRate: t.fixed })), tracing, orders: orderRuns }, null, 2)}\n`,
    );
  }
}

// -------------------------------------------------------------------------------------------------------------- idle

/** What the app costs with no requests at all: its background work (event bus, metrics) competes with the requests. */
async function idleCost(app: ChildServer, dbUrl: string): Promise<{ appPct: number; dbPct: number; xactsPerSec: number }> {
  const client = new pg.Client({ connectionString: dbUrl, application_name: 'seams:bench-stats' });
  await client.connect();
  try {
    const backends = async () =>
      (await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')).rows.map((r) => r.pid);
    // Statistics reach pg_stat_database up to a second late; both readings lag alike.
    const xacts = async () =>
      Number((await client.query<{ n: string }>('select xact_commit + xact_rollback as n from pg_stat_database where datname = current_database()')).rows[0]!.n);
    await sleep(1000);
    const dbBefore = new Map((await backends()).map((pid) => [pid, cpuMs(pid) ?? 0]));
    const appBefore = cpuMs(app.pid);
    const xactsBefore = await xacts();
    const started = performance.now();
    await sleep(CFG.idleSecs * 1000);
    const ms = performance.now() - started;
    const appAfter = cpuMs(app.pid);
    let dbMs = 0;
    for (const pid of await backends()) dbMs += (cpuMs(pid) ?? 0) - (dbBefore.get(pid) ?? 0);
    return {
      appPct: appAfter === undefined || appBefore === undefined ? NaN : (100 * (appAfter - appBefore)) / ms,
      dbPct: (100 * dbMs) / ms,
      // The bench's own two statistics queries are not counted.
      xactsPerSec: ((await xacts()) - xactsBefore - 2) / (ms / 1000),
    };
  } finally {
    await client.end();
  }
}

// -------------------------------------------------------------------------------------------------------------- read

async function readPhase(dbUrl: string, readPath: string): Promise<Target[]> {
  const target = (label: string, start: () => Promise<ChildServer>): Target => ({ label, start, reads: [], fixed: [] });
  const targets: Target[] = [
    target(`app (LOG_LEVEL=${CFG.logLevel})`, () => startApp(`app@${CFG.logLevel}`, dbUrl, CFG.logLevel)),
    target('bare fastify + pg', () => startBare('bare', dbUrl, {})),
  ];
  // The catalog alone subscribes to nothing, so no event-bus workers run beside the requests: the app's own
  // per-request cost without its background work.
  if (CFG.appCatalogOnly && moduleNames.length > 1) {
    targets.push(target(`app MODULES=catalog (LOG_LEVEL=${CFG.logLevel})`, () => startApp(`app-catalog@${CFG.logLevel}`, dbUrl, CFG.logLevel, 'catalog')));
  }
  if (CFG.appInfo && CFG.logLevel !== 'info') targets.push(target('app (LOG_LEVEL=info)', () => startApp('app@info', dbUrl, 'info')));
  const catalogRole = roleName(database, 'catalog');
  const variantNames = CFG.variants === 'all' ? Object.keys(PRESETS) : CFG.variants.split(',').map((v) => v.trim()).filter(Boolean);
  for (const name of variantNames) {
    const preset = PRESETS[name];
    if (!preset) throw new Error(`Unknown variant "${name}"; known: ${Object.keys(PRESETS).join(', ')}, or all`);
    targets.push(target(`bare+${name}`, () => startBare(`bare+${name}`, dbUrl, preset(catalogRole))));
  }
  // Same answer from every server, or the comparison means nothing: the first answer is the reference.
  let reference: string | undefined;

  // ---- read: servers in turn, order flipped every run. Closed loop first (req/s), then, when RATE > 0, open loop at
  // a fixed RATE for every server alike: at equal req/s the CPU per request compares the work itself, not how well a
  // busier process batches its wake-ups. CPU comes from /proc for the server, the database's backends (all of them:
  // the other servers are idle meanwhile) and this process (the load generator).
  const stats = new pg.Client({ connectionString: dbUrl, application_name: 'seams:bench-stats' });
  await stats.connect();
  const backends = async () =>
    (await stats.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')).rows.map((r) => r.pid);
  const window = async (server: ChildServer, options: LoadOptions): Promise<Measured> => {
    const dbBefore = new Map((await backends()).map((pid) => [pid, cpuMs(pid)]));
    const serverBefore = cpuMs(server.pid);
    const selfBefore = process.cpuUsage();
    const result = await load(options);
    const self = process.cpuUsage(selfBefore);
    const serverAfter = cpuMs(server.pid);
    let dbMs = 0;
    let dbReadable = 0;
    for (const pid of await backends()) {
      const after = cpuMs(pid);
      if (after === undefined) continue;
      dbReadable += 1;
      dbMs += after - (dbBefore.get(pid) ?? 0);
    }
    const per = (ms: number | undefined) => (ms === undefined || result.ok === 0 ? NaN : (ms * 1000) / result.ok);
    const cpu = {
      serverUs: per(serverAfter === undefined || serverBefore === undefined ? undefined : serverAfter - serverBefore),
      dbUs: per(dbReadable > 0 ? dbMs : undefined),
      loadUs: per((self.user + self.system) / 1000),
    };
    return { ...result, cpu };
  };
  /** One run of one server: start it alone, check its answer, warm it up, measure, stop it. */
  const measure = async (target: Target, run: number) => {
    const server = await target.start();
    try {
      const answer = await api(server.url, 'GET', readPath, undefined);
      const body = JSON.stringify(answer.body);
      reference ??= body;
      if (answer.status !== 200 || body !== reference) throw new Error(`${target.label} answers ${answer.status} ${body}, expected ${reference}`);
      const url = server.url + readPath;
      await load({ url, connections: CFG.connections, duration: CFG.warmup });
      const closed = await window(server, { url, connections: CFG.connections, duration: CFG.duration });
      target.reads.push(closed);
      let line =
        `run ${run + 1}/${CFG.runs} ${target.label}: ${f0(closed.rps)} req/s, p50 ${f1(closed.p50)} ms, p99 ${f1(closed.p99)} ms, ` +
        `CPU us/req server ${f0(closed.cpu.serverUs)} db ${f0(closed.cpu.dbUs)} load ${f0(closed.cpu.loadUs)}${closed.failed ? `, ${closed.failed} FAILED` : ''}`;
      if (CFG.rate > 0) {
        const open = await window(server, { url, connections: CFG.connections, duration: CFG.rateSecs, overallRate: CFG.rate });
        target.fixed.push(open);
        line += ` | at ${CFG.rate}/s: ${f0(open.rps)} req/s, p50 ${f1(open.p50)} ms, p99 ${f1(open.p99)} ms, CPU us/req server ${f0(open.cpu.serverUs)} db ${f0(open.cpu.dbUs)}`;
      }
      say(line);
    } finally {
      await server.stop();
    }
  };
  try {
    for (let run = 0; run < CFG.runs; run++) {
      const order = run % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) await measure(target, run);
    }
  } finally {
    await stats.end();
  }

  const bare = targets[1]!;
  const bareRps = median(bare.reads.map((r) => r.rps));
  const bareServerUs = median(bare.reads.map((r) => r.cpu.serverUs));
  console.log(`\nGET ${'/catalog/products/:id'}, ${CFG.connections} connections, ${CFG.duration} s per run after ${CFG.warmup} s warm-up, medians of ${CFG.runs} runs`);
  console.log(
    table(
      ['server', 'req/s', 'x bare', 'p50 ms', 'p99 ms', 'failed', 'server CPU us/req', 'x bare', 'db CPU us/req', 'load gen CPU us/req', 'req/s per run'],
      targets.map((t) => {
        const rps = median(t.reads.map((r) => r.rps));
        const serverUs = median(t.reads.map((r) => r.cpu.serverUs));
        return [
          t.label,
          f0(rps),
          f2(rps / bareRps),
          f1(median(t.reads.map((r) => r.p50))),
          f1(median(t.reads.map((r) => r.p99))),
          String(t.reads.reduce((n, r) => n + r.failed, 0)),
          f0(serverUs),
          f2(serverUs / bareServerUs),
          f0(median(t.reads.map((r) => r.cpu.dbUs))),
          f0(median(t.reads.map((r) => r.cpu.loadUs))),
          t.reads.map((r) => f0(r.rps)).join(' / '),
        ];
      }),
    ),
  );
  if (CFG.rate > 0) {
    const bareFixedUs = median(bare.fixed.map((r) => r.cpu.serverUs));
    console.log(`\nThe same at a fixed ${CFG.rate} req/s (open loop, ${CFG.rateSecs} s per run): CPU per request at equal load`);
    console.log(
      table(
        ['server', 'req/s', 'p50 ms', 'p99 ms', 'server CPU us/req', 'x bare', 'server - bare us/req', 'db CPU us/req'],
        targets.map((t) => {
          const serverUs = median(t.fixed.map((r) => r.cpu.serverUs));
          return [
            t.label,
            f0(median(t.fixed.map((r) => r.rps))),
            f1(median(t.fixed.map((r) => r.p50))),
            f1(median(t.fixed.map((r) => r.p99))),
            f0(serverUs),
            f2(serverUs / bareFixedUs),
            f0(serverUs - bareFixedUs),
            f0(median(t.fixed.map((r) => r.cpu.dbUs))),
          ];
        }),
      ),
    );
  }
  const ratio = median(targets[0]!.reads.map((r) => r.rps)) / bareRps;
  console.log(`app / bare = ${f2(ratio)}  (issue target >= 0.85: ${ratio >= 0.85 ? 'met' : 'NOT met'}; DESIGN target >= 0.90: ${ratio >= 0.9 ? 'met' : 'NOT met'})`);

  return targets;
}

// ------------------------------------------------------------------------------------------------------------ orders

interface OrderRun {
  readonly post: LoadResult;
  readonly placed: number;
  readonly pendingAtWindowEnd: number;
  readonly confirmed: number;
  readonly cancelled: number;
  /** First order placed -> last order settled, seconds. */
  readonly spanSecs: number;
  /** Window end -> last order settled, seconds. */
  readonly drainSecs: number;
  readonly completedPerSec: number;
  /** Orders not settled when the wait gave up (DRAIN_TIMEOUT_SECS). */
  readonly stillPending: number;
  /** The app process's CPU use, % of one core, during the POST window and while the orders settled after it. */
  readonly appCpuWindowPct: number;
  readonly appCpuDrainPct: number;
  readonly settleP50Ms: number;
  readonly settleP99Ms: number;
  readonly complete: boolean;
}

async function ordersPhase(app: ChildServer, dbUrl: string): Promise<OrderRun[]> {
  const probe = await api(app.url, 'POST', '/orders', undefined, { lines: [] });
  if (probe.status === 404) {
    console.log('\nPOST /orders: skipped: the app answers 404 (no such route)');
    return [];
  }
  say('orders: creating products with stock');
  const productIds: string[] = [];
  for (let i = 0; i < CFG.orderProducts; i++) {
    const created = expectStatus(
      'creating an order product',
      await api(app.url, 'POST', '/catalog/products', adminToken, { sku: `bench-order-${i}`, name: `Order product ${i}`, priceCents: 500 + i, currency: 'EUR' }),
      201,
    );
    const id = String(created.id);
    expectStatus('setting stock', await api(app.url, 'PUT', `/inventory/items/${id}`, adminToken, { onHand: 1_000_000_000 }), 200, 201);
    productIds.push(id);
  }

  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    const post = (customer: string, duration: number) => {
      const headers = { authorization: `Bearer ${signToken(secret, customer, [])}`, 'content-type': 'application/json' };
      return load({
        url: `${app.url}/orders`,
        connections: CFG.connections,
        duration,
        requests: productIds.map((productId) => ({ method: 'POST', path: '/orders', headers, body: JSON.stringify({ lines: [{ productId, quantity: 1 }] }) })),
      });
    };

    say('orders: warm-up');
    const warm = await post('bench-warmup', CFG.warmup);
    if (warm.ok === 0) throw new Error(`POST /orders: no order accepted in the warm-up: ${JSON.stringify(warm.statuses)}`);
    const warmSettled = await waitSettled(client, 'bench-warmup', CFG.drainTimeoutMs);
    if (!warmSettled.complete) throw new Error(`orders of the warm-up not settled within ${CFG.drainTimeoutMs / 1000} s: ${JSON.stringify(warmSettled.counts)}`);

    const runs: OrderRun[] = [];
    for (let run = 0; run < CFG.runs; run++) {
      const customer = `bench-customer-${run}`;
      const cpuAtStart = cpuMs(app.pid);
      const windowStart = Date.now();
      const result = await post(customer, CFG.duration);
      const windowEnd = Date.now();
      const cpuAtWindowEnd = cpuMs(app.pid);
      const atEnd = await countOrders(client, customer);
      const { counts, complete } = await waitSettled(client, customer, CFG.drainTimeoutMs);
      const drainEnd = Date.now();
      const cpuAtDrainEnd = cpuMs(app.pid);
      // How busy the app's one thread was: near 100% means the app is the limit, far below means it waits (database,
      // locks, timers).
      const busy = (from: number | undefined, to: number | undefined, ms: number) => (from === undefined || to === undefined || ms <= 0 ? NaN : (100 * (to - from)) / ms);
      const first = counts.first?.getTime() ?? NaN;
      const last = counts.last?.getTime() ?? NaN;
      const spanSecs = (last - first) / 1000;
      const entry: OrderRun = {
        post: result,
        placed: counts.total,
        pendingAtWindowEnd: atEnd.pending,
        confirmed: counts.confirmed,
        cancelled: counts.cancelled,
        spanSecs,
        drainSecs: Math.max(0, (last - windowEnd) / 1000),
        // Incomplete runs still say how fast orders settled while they did.
        completedPerSec: (counts.confirmed + counts.cancelled) / spanSecs,
        stillPending: counts.pending,
        appCpuWindowPct: busy(cpuAtStart, cpuAtWindowEnd, windowEnd - windowStart),
        appCpuDrainPct: busy(cpuAtWindowEnd, cpuAtDrainEnd, drainEnd - windowEnd),
        settleP50Ms: counts.p50 ?? NaN,
        settleP99Ms: counts.p99 ?? NaN,
        complete,
      };
      runs.push(entry);
      say(
        `orders run ${run + 1}/${CFG.runs}: POST ${f0(result.rps)}/s p99 ${f1(result.p99)} ms${result.failed ? ` (${result.failed} not 2xx: ${JSON.stringify(result.statuses)})` : ''}; ` +
          `${counts.total} placed, ${atEnd.pending} pending at window end, ${complete ? `all settled ${f1(entry.drainSecs)} s after it` : `${counts.pending} STILL PENDING after ${CFG.drainTimeoutMs / 1000} s`}`,
      );
      if (!complete) break;
      // Let the order-history projection and the inventory side catch up before the next window.
      await sleep(2000);
    }

    const m = (pick: (r: OrderRun) => number) => median(runs.map(pick));
    console.log(`\nPOST /orders (customer token, 1 line, quantity 1, ${CFG.orderProducts} products), ${CFG.connections} connections, ${CFG.duration} s windows, medians of ${runs.length} runs`);
    console.log(
      table(
        ['POST req/s', 'POST p50 ms', 'POST p99 ms', 'failed', 'orders placed', 'pending at window end', 'last settled after window s', 'never settled', 'completed orders/s', 'place->settled p50 / p99 ms', 'confirmed / cancelled', 'app CPU % window / after'],
        [
          [
            f0(m((r) => r.post.rps)),
            f1(m((r) => r.post.p50)),
            f1(m((r) => r.post.p99)),
            String(runs.reduce((n, r) => n + r.post.failed, 0)),
            f0(m((r) => r.placed)),
            f0(m((r) => r.pendingAtWindowEnd)),
            f1(m((r) => r.drainSecs)),
            `${runs.reduce((n, r) => n + r.stillPending, 0)}${runs.some((r) => !r.complete) ? ` (gave up after ${CFG.drainTimeoutMs / 1000} s)` : ''}`,
            f0(m((r) => r.completedPerSec)),
            `${f0(m((r) => r.settleP50Ms))} / ${f0(m((r) => r.settleP99Ms))}`,
            `${runs.reduce((n, r) => n + r.confirmed, 0)} / ${runs.reduce((n, r) => n + r.cancelled, 0)}`,
            `${f0(m((r) => r.appCpuWindowPct))} / ${f0(m((r) => r.appCpuDrainPct))}`,
          ],
        ],
      ),
    );
    return runs;
  } finally {
    await client.end();
  }
}

try {
  await main();
} catch (error) {
  console.error('bench: failed:', error);
  process.exitCode = 1;
} finally {
  await cleanup();
  say('done');
}
