// Helpers of the HTTP benchmark (bench/http.ts): tokens, child servers, the load generator and small statistics.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';

// ------------------------------------------------------------------------------------------------------------ tokens

/** An HS256 JWT as the app's `app.jwt.sign({ sub, roles })` makes it (same secret, same algorithm). */
export function signToken(secret: string, sub: string, roles: string[], ttlSeconds = 3600): string {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, roles, iat, exp: iat + ttlSeconds })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

// ----------------------------------------------------------------------------------------------------- child servers

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ChildServer {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** Spawn to the first 200 of the ready path, ms (polled every `pollMs`). */
  readonly readyMs: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ChildServer>();

/** Stops every child server still running (on the way out, also after an error or a signal). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

export interface StartOptions {
  readonly name: string;
  /** node arguments: script and flags. */
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly port: number;
  /** Path answered 200 once the server is ready to serve. */
  readonly readyPath: string;
  /** Where the child's stdout goes: a file, or nowhere ('ignore', e.g. for info-level logs under load). */
  readonly stdoutFile?: string;
  /** `taskset -c <cpus>` the child, when set. */
  readonly cpus?: string;
  readonly timeoutMs?: number;
  /** How often the ready path is polled during start-up (200 ms; less to time the start). */
  readonly pollMs?: number;
}

/**
 * Starts a node child process on 127.0.0.1 and waits until `readyPath` answers 200. The child gets a pipe as stdin
 * and bench/http-watch-parent.ts preloaded, so it shuts itself down if this process dies without stopping it.
 */
export async function startChild(options: StartOptions): Promise<ChildServer> {
  const watch = new URL('./http-watch-parent.ts', import.meta.url).pathname;
  const nodeArgs = ['--import', watch, ...options.args];
  const [file, args] = options.cpus ? ['taskset', ['-c', options.cpus, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const spawnedAt = performance.now();
  const child: ChildProcess = spawn(file, args, {
    env: { ...process.env, ...options.env },
    stdio: ['pipe', options.stdoutFile ? 'pipe' : 'ignore', 'pipe'],
  });
  if (options.stdoutFile && child.stdout) child.stdout.pipe(createWriteStream(options.stdoutFile));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8000);
  });
  let gone = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      gone = true;
      resolve();
    }),
  );

  let stopping: Promise<void> | undefined;
  const url = `http://127.0.0.1:${options.port}`;
  const server: { -readonly [K in keyof ChildServer]: ChildServer[K] } = {
    name: options.name,
    url,
    pid: child.pid!,
    readyMs: NaN,
    stop: (graceMs = 10_000) =>
      (stopping ??= (async () => {
        if (!gone) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }
        running.delete(server);
      })()),
  };
  running.add(server);

  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  for (;;) {
    if (gone) {
      running.delete(server);
      throw new Error(`${options.name} exited during start-up (code ${child.exitCode}, signal ${child.signalCode}):\n${stderr.trim()}`);
    }
    try {
      const response = await fetch(url + options.readyPath, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) return Object.assign(server, { readyMs: performance.now() - spawnedAt });
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${options.name} did not become ready within ${options.timeoutMs ?? 90_000} ms:\n${stderr.trim()}`);
    }
    await sleep(options.pollMs ?? 200);
  }
}

// ---------------------------------------------------------------------------------------------------- load generator

/** The part of autocannon's API used here (the package ships no types). */
export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly duration: number;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** A sequence each connection cycles through (overrides method/body/headers per request). */
  readonly requests?: ReadonlyArray<{ method?: string; path?: string; body?: string; headers?: Record<string, string> }>;
  readonly timeout?: number;
  /** Open loop: this many requests per second over all connections (latencies corrected for coordinated omission). */
  readonly overallRate?: number;
}

interface AutocannonResult {
  readonly duration: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly '2xx': number;
  readonly requests: { readonly total: number; readonly average: number };
  readonly latency: { readonly p50: number; readonly p99: number; readonly average: number; readonly max: number };
  readonly statusCodeStats?: Record<string, { count: number }>;
}

type Autocannon = (options: LoadOptions & { pipelining: number }) => Promise<AutocannonResult>;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface LoadResult {
  /** Successful (2xx) responses per second over the measured window. */
  readonly rps: number;
  readonly ok: number;
  readonly failed: number;
  readonly p50: number;
  readonly p99: number;
  readonly statuses: Record<string, number>;
}

/** One closed-loop autocannon run (each connection sends its next request when the previous answer arrives). */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({ timeout: 10, ...options, pipelining: 1 });
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]));
  return {
    rps: result['2xx'] / result.duration,
    ok: result['2xx'],
    failed: result.non2xx + result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
    statuses,
  };
}

// -------------------------------------------------------------------------------------------------------- statistics

export function median(values: readonly number[]): number {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const m = xs.length >> 1;
  return xs.length % 2 ? xs[m]! : (xs[m - 1]! + xs[m]!) / 2;
}

export const f0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
export const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
export const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

/** A plain-text table: first column left-aligned, the rest right-aligned. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// ------------------------------------------------------------------------------------------------------- CPU per pid

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time (user + system, ms) a process has used so far, from /proc; undefined when it cannot be read (not Linux, or
 * a database on another host). On a shared 2-core machine this is steadier than req/s: it does not depend on what
 * else was running.
 */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is the state (field 3 of stat); utime and stime are fields 14 and 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Total CPU ms of several processes, counting those that cannot be read as 0 (reports how many could). */
export function cpuMsOf(pids: readonly number[]): { ms: number; readable: number } {
  let ms = 0;
  let readable = 0;
  for (const pid of pids) {
    const used = cpuMs(pid);
    if (used === undefined) continue;
    ms += used;
    readable += 1;
  }
  return { ms, readable };
}

// ------------------------------------------------------------------------------------------------------------ orders

/** Orders of one benchmark customer, as the ordering module stored them: how many have settled, when, how fast. */
export interface OrderCounts {
  total: number;
  pending: number;
  confirmed: number;
  cancelled: number;
  first: Date | null;
  last: Date | null;
  /** Placed -> settled, over the settled orders, in ms. */
  p50: number | null;
  p99: number | null;
}

export async function countOrders(client: pg.Client, customer: string): Promise<OrderCounts> {
  const { rows } = await client.query<OrderCounts>(
    `select count(*)::int as total,
            count(*) filter (where status = 'pending')::int as pending,
            count(*) filter (where status = 'confirmed')::int as confirmed,
            count(*) filter (where status = 'cancelled')::int as cancelled,
            min(placed_at) as first, max(updated_at) filter (where status <> 'pending') as last,
            (percentile_cont(0.5) within group (order by extract(epoch from updated_at - placed_at)) filter (where status <> 'pending') * 1000)::float8 as p50,
            (percentile_cont(0.99) within group (order by extract(epoch from updated_at - placed_at)) filter (where status <> 'pending') * 1000)::float8 as p99
       from ordering.orders where customer_id = $1`,
    [customer],
  );
  return rows[0]!;
}

/** Polls until none of the customer's orders is pending, or `timeoutMs` has passed (`complete: false`). */
export async function waitSettled(client: pg.Client, customer: string, timeoutMs: number): Promise<{ counts: OrderCounts; complete: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await countOrders(client, customer);
    if (counts.pending === 0) return { counts, complete: true };
    if (Date.now() > deadline) return { counts, complete: false };
    await sleep(250);
  }
}
