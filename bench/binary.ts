/**
 * `npm run bench:binary`: the single binary against its targets (issue 19), printed as a table.
 *
 *   size         dist/seams-linux-x64 with the embedded PostgreSQL (<= 200 MB), and without it (build --without-postgres)
 *   build        npm run build:binary from nothing (dist/build removed first)            <= 60 s
 *   first start  embedded, fresh CACHE_DIR and DATA_DIR: unpack, initdb, migrate, listen  <= 10 s
 *   warm start   embedded, the same folders again                                         <= 3 s
 *   warm start   DATABASE_URL (an already migrated database)                               <= 1.5 s
 *   read         GET /catalog/products/:id, binary / npm start, alternating ROUNDS times   >= 0.95
 *
 * Starts are timed from spawn to the "Seams is listening" line, STARTS times each (median). DATABASE_URL names the
 * server for the DATABASE_URL and read phases (default: the machine's, postgres://postgres@127.0.0.1:5432/postgres).
 * Environment: STARTS (3), ROUNDS (3), DURATION (5 s per read window), CONNECTIONS (32), KEEP_BUILD=1 (skip the cold
 * build and reuse dist/).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { f2, load, median, table } from './http-support.ts';
import { openServer } from './support/server.ts';
import { signToken } from '../test/support/shop-client.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const binary = path.join(root, 'dist', 'seams-linux-x64');
const STARTS = Number(process.env.STARTS ?? 3);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const DURATION = Number(process.env.DURATION ?? 5);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const JWT_SECRET = 'bench-binary-secret-of-at-least-32-characters';
// The system folders only, not this Node's: what a server without Node has (the process test proves no node is used).
const SYSTEM_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

const rows: string[][] = [];
const report = (measure: string, value: string, target: string, met: boolean) => rows.push([measure, value, target, met ? 'met' : 'MISSED']);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
process.stdout.write(`bench:binary: load average at start ${loadavg().map((x) => x.toFixed(1)).join(' ')} (2 cores)\n`);

// Build: cold, then the size without PostgreSQL from a second build.
if (!process.env.KEEP_BUILD) {
  await rm(path.join(root, 'dist', 'build'), { recursive: true, force: true });
  const started = performance.now();
  run(process.execPath, [path.join(root, 'scripts', 'build-binary.ts')]);
  const took = performance.now() - started;
  report('build (cold, npm run build:binary)', seconds(took), '<= 60 s', took <= 60_000);
}
const withPostgres = (await stat(binary)).size;
const withoutPath = path.join(root, 'dist', 'build', 'seams-without-postgres');
run(process.execPath, [path.join(root, 'scripts', 'build-binary.ts'), '--without-postgres', '--out', withoutPath]);
const withoutPostgres = (await stat(withoutPath)).size;
await rm(withoutPath, { force: true });
report('size with the embedded PostgreSQL', `${(withPostgres / 1e6).toFixed(1)} MB`, '<= 200 MB', withPostgres <= 200e6);
report('size without it', `${(withoutPostgres / 1e6).toFixed(1)} MB`, '(printed)', true);

// Starts on the embedded database.
const scratch = await mkdtemp(path.join(tmpdir(), 'seams-bench-binary-'));
await chmod(scratch, 0o755); // as root the server runs as postgres, which must enter it
const firsts: number[] = [];
const warms: number[] = [];
for (let i = 0; i < STARTS; i++) {
  const env = { CACHE_DIR: path.join(scratch, `cache-${i}`), DATA_DIR: path.join(scratch, `data-${i}`) };
  firsts.push(await timeStart(binary, [], env));
  warms.push(await timeStart(binary, [], env));
}
report('first start to ready, embedded', seconds(median(firsts)), '<= 10 s', median(firsts) <= 10_000);
report('warm start to ready, embedded', seconds(median(warms)), '<= 3 s', median(warms) <= 3000);

// DATABASE_URL: warm start and the read, against npm start on the same kind of database.
const server = await openServer(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', pino({ level: 'warn' }));
try {
  const forBinary = await server.freshDatabase();
  const forSource = await server.freshDatabase();
  // The read is driven from one address far past any rate limit.
  const external = (url: string) => ({ DATABASE_URL: url, JWT_SECRET, DB_POOL_MAX: '10', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0' });
  run(binary, ['migrate'], external(forBinary.url));
  const starts: number[] = [];
  for (let i = 0; i < STARTS; i++) starts.push(await timeStart(binary, [], external(forBinary.url)));
  report('warm start to ready, DATABASE_URL', seconds(median(starts)), '<= 1.5 s', median(starts) <= 1500);

  const ratios: number[] = [];
  const binaryApp = await serve(binary, [], external(forBinary.url));
  const sourceApp = await serve(process.execPath, ['--import', './src/telemetry.ts', 'src/main.ts'], external(forSource.url));
  try {
    const [binaryProduct, sourceProduct] = await Promise.all([productOf(binaryApp.url), productOf(sourceApp.url)]);
    const read = async (url: string) => (await load({ url, connections: CONNECTIONS, duration: DURATION })).rps;
    await read(`${binaryApp.url}/catalog/products/${binaryProduct}`);
    await read(`${sourceApp.url}/catalog/products/${sourceProduct}`);
    for (let round = 0; round < ROUNDS; round++) {
      // Alternating, so the machine's other load falls on both alike.
      const a = await read(`${binaryApp.url}/catalog/products/${binaryProduct}`);
      const b = await read(`${sourceApp.url}/catalog/products/${sourceProduct}`);
      ratios.push(a / b);
      process.stdout.write(`  read round ${round + 1}: binary ${a.toFixed(0)} req/s, npm start ${b.toFixed(0)} req/s, ratio ${f2(a / b)}\n`);
    }
  } finally {
    await Promise.all([binaryApp.stop(), sourceApp.stop()]);
  }
  report('read req/s, binary / npm start (median)', f2(median(ratios)), '>= 0.95', median(ratios) >= 0.95);
} finally {
  await server.close();
  await rm(scratch, { recursive: true, force: true });
}

process.stdout.write(`\n${table(['measure', 'value', 'target', 'verdict'], rows)}\n`);
process.stdout.write(`bench:binary: load average at end ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);

function run(file: string, args: string[], env?: Record<string, string>): void {
  const result = spawnSync(file, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], ...(env ? { env: { PATH: SYSTEM_PATH, ...env } } : {}) });
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} failed (exit ${result.status})`);
}

interface Served {
  readonly url: string;
  readonly readyAfterMs: number;
  /** SIGTERM; resolves when it has exited. */
  stop(): Promise<void>;
}

/** Starts a program (the binary, or npm start's command) with only `env` and a PATH without node; resolves when it listens. */
function serve(file: string, args: string[], env: Record<string, string>): Promise<Served> {
  const started = performance.now();
  const child = spawn(file, args, {
    cwd: root,
    env: { PATH: file === process.execPath ? process.env.PATH : SYSTEM_PATH, HOME: process.env.HOME, PORT: '0', ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    void exited.then(() => reject(new Error(`${file} exited before it listened`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /"url":"(http:[^"]+)".*Seams is listening/.exec(line);
      const stop = async () => {
        child.kill('SIGTERM');
        await exited;
      };
      if (match) resolve({ url: match[1]!, readyAfterMs: performance.now() - started, stop });
    });
  });
}

/** Milliseconds from spawn to listening; then stops it and waits for it to exit. */
async function timeStart(file: string, args: string[], env: Record<string, string>): Promise<number> {
  const served = await serve(file, args, env);
  await served.stop();
  return served.readyAfterMs;
}

/** A product to read, created through the API. */
async function productOf(base: string): Promise<string> {
  const response = await fetch(`${base}/catalog/products`, {
    method: 'POST',
    headers: { authorization: `Bearer ${signToken({ sub: 'bench', roles: ['admin'] }, JWT_SECRET)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sku: `BENCH-${Math.random().toString(36).slice(2, 10)}`, name: 'Bench mug', priceCents: 900, currency: 'EUR' }),
  });
  if (response.status !== 201) throw new Error(`creating a product answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}
