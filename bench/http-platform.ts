// The platform-overhead phase of `npm run bench:http` (issue 13): what a request costs in Seams against what it costs
// in bare fastify + pg, all servers up at once and measured in alternating rounds, so each ratio comes from windows
// seconds apart on the same machine. Then the app's memory under load and its start time.
//
//   servers   bare        bench/http-bare-server.ts: fastify + pg, no logger, DI, roles or tracing (BARE_ORDERS=1: it
//                         also serves GET /orders/:id with @fastify/jwt's request.jwtVerify() and the module's two
//                         statements: the "bare + JWT verify" baseline of the authenticated read)
//             bare+otel   the same with the standard OpenTelemetry setup preloaded (bench/http-otel-standard.ts):
//                         NodeSDK, http + pg + @fastify/otel instrumentations at their defaults, OTLP/HTTP export
//             seams       as `npm start` runs it (scripts/start.mjs, the bundle; APP_ENTRY=source: `node --import
//                         src/telemetry.ts src/main.ts`), all modules, OTEL_SDK_DISABLED=true
//             seams+trace the same with the SDK on, always_on sampling, every span exported over OTLP/HTTP
//                         All traced servers export to one local receiver (bench/http-otlp-receiver.ts).
//             bare-heap   bare under npm start's heap flags (src/cli/heap-flags.ts), for the read only: what the flags
//                         cost bare, so that seams / bare splits into the flags and the rest
//   rounds    PLATFORM_ROUNDS rounds (0: none, and only the untraced app is started for them: the memory and start
//             phases alone, e.g. PLATFORM_ROUNDS=0 START_RUNS=0 MIXED_SECS=0 TRACING_PAIRS=0 for the RSS after reads); in each, every (server, endpoint) window once, the order rotated each round:
//             GET /catalog/products/:id on all four, GET /orders/:id (a customer's token, their own order) on bare and
//             seams. Each window PLATFORM_WARMUP s then PLATFORM_SECS s, CONNECTIONS connections, closed loop.
//             Ratios per round, then their median:
//               read, tracing off:   seams / bare            target >= 0.90
//               authenticated read:  seams / bare (+JWT)     target >= 0.85
//               read, tracing on:    seams+trace / seams     target >= 0.85
//               the peers:           bare+otel / bare, seams+trace / bare+otel
//               the heap flags:      bare-heap / bare, seams / bare-heap (no target: they split the first ratio)
//   memory    a fresh Seams as `npm start` runs it (SDK on, always_on, exporting): RSS when ready, after MEMORY_SECS
//             (60) of reads, then over MIXED_SECS (300) of reads (closed loop) and orders (MIXED_ORDER_RATE/s, open
//             loop) at once, printed every minute. Targets: <= 150 MB after the reads; flat over the mixed load (the
//             last minute's reading within 10 % of the first minute's).
//   start     START_RUNS starts of the same app on its already migrated database (warm): spawn to the first 200 of
//             /health/ready, polled every 5 ms. Target <= 1.5 s on the machine's PostgreSQL (run with DATABASE_URL).
//   APP_ENTRIES  e.g. bundle,source: the start phase alternates the entries (START_RUNS starts of each, the order
//             flipped each run) and the memory phase measures each in turn (ready and after MEMORY_SECS of reads; the
//             mixed load runs on the first only), to compare them in one run. Default: APP_ENTRY's alone.
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { HEAP_FLAGS } from '../src/cli/heap-flags.ts';
import { cpuMs, f0, f1, f2, freePort, load, median, startChild, table, type ChildServer, type LoadOptions, type LoadResult } from './http-support.ts';

const env = (name: string, fallback: string) => (process.env[name] === undefined || process.env[name] === '' ? fallback : process.env[name]!);
const CFG = {
  rounds: Number(env('PLATFORM_ROUNDS', '3')),
  secs: Number(env('PLATFORM_SECS', '8')),
  warmup: Number(env('PLATFORM_WARMUP', '2')),
  memorySecs: Number(env('MEMORY_SECS', '60')),
  mixedSecs: Number(env('MIXED_SECS', '300')),
  mixedOrderRate: Number(env('MIXED_ORDER_RATE', '50')),
  startRuns: Number(env('START_RUNS', '3')),
  entries: env('APP_ENTRIES', '').split(',').filter(Boolean) as AppEntry[],
};

/**
 * What an app started as npm start runs: the bundle (scripts/start.mjs) or the sources (src/main.ts); after a `+`,
 * other heap flags than npm start's (bench/http.ts, APP_ENTRIES).
 */
export type AppEntry = 'bundle' | 'source' | `${'bundle' | 'source'}+${string}`;

export interface PlatformOptions {
  readonly root: string;
  readonly dbUrl: string;
  readonly connections: number;
  readonly adminToken: string;
  readonly customerToken: (subject: string) => string;
  /** The JWT secret the apps and the bare server share. */
  readonly secret: string;
  readonly startApp: (label: string, nodeArgs: string[], env: Record<string, string>, pollMs?: number, entry?: AppEntry) => Promise<ChildServer>;
  readonly startBare: (label: string, nodeArgs: string[], env: Record<string, string>) => Promise<ChildServer>;
}

type Endpoint = 'read' | 'order';
interface Window extends LoadResult {
  readonly serverUs: number;
  readonly load1: number;
}

export interface PlatformResult {
  readonly windows: Record<string, Window[]>;
  readonly ratios: Record<string, number[]>;
  readonly memory: { readyMb: number; afterReadsMb: number; mixed: Array<{ atSecs: number; rssMb: number }> };
  readonly startMs: number[];
  /** With APP_ENTRIES: the start and memory figures of each entry (the fields above are the first entry's). */
  readonly byEntry: Record<string, { startMs: number[]; cpuMs: number[]; readyMb: number; afterReadsMb: number; load1: number[]; usPerRead: number; rps: number }>;
}

const rssMb = (pid: number): number => {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
};

async function api(base: string, method: string, url: string, token: string | undefined, body?: unknown): Promise<{ status: number; text: string; json: Record<string, unknown> }> {
  const response = await fetch(base + url, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return { status: response.status, text, json };
}

async function must(what: string, call: Promise<{ status: number; text: string; json: Record<string, unknown> }>): Promise<Record<string, unknown>> {
  const result = await call;
  if (result.status >= 300) throw new Error(`${what}: ${result.status} ${result.text}`);
  return result.json;
}

export async function platformPhase(options: PlatformOptions): Promise<PlatformResult> {
  const say = (message: string) => console.error(`[platform] ${message}`);
  const receiverPort = await freePort();
  const receiver = await startChild({ name: 'otlp-receiver', args: [path.join(options.root, 'bench/http-otlp-receiver.ts')], env: { PORT: String(receiverPort) }, port: receiverPort, readyPath: '/health' });
  const telemetry = ['--import', path.join(options.root, 'src/telemetry.ts')];
  const traced = { OTEL_SDK_DISABLED: 'false', OTEL_TRACES_SAMPLER: 'always_on', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
  const servers: ChildServer[] = [receiver];
  const result: PlatformResult = { windows: {}, ratios: {}, memory: { readyMb: NaN, afterReadsMb: NaN, mixed: [] }, startMs: [], byEntry: {} };
  const entries: Array<AppEntry | undefined> = CFG.entries.length > 0 ? CFG.entries : [undefined];
  for (const entry of CFG.entries) result.byEntry[entry] = { startMs: [], cpuMs: [], readyMb: NaN, afterReadsMb: NaN, load1: [], usPerRead: NaN, rps: NaN };
  /** The 60 s of reads of the memory phase, with the app's CPU per read (the heap flags' cost shows there). */
  const memoryReads = async (app: ChildServer, readPath: string, entry: AppEntry | undefined): Promise<void> => {
    const cpuBefore = cpuMs(app.pid) ?? NaN;
    const reads = await load({ url: app.url + readPath, connections: options.connections, duration: CFG.memorySecs });
    if (entry) Object.assign(result.byEntry[entry]!, { usPerRead: (((cpuMs(app.pid) ?? NaN) - cpuBefore) * 1000) / (reads.ok + reads.failed), rps: reads.rps });
  };
  try {
    // ---- start: warm starts of the app alone, before anything else runs (the database is migrated already).
    for (let run = 0; run < CFG.startRuns; run++) {
      for (const entry of run % 2 === 0 ? entries : [...entries].reverse()) {
        const app = await options.startApp('app-start', telemetry, { OTEL_SDK_DISABLED: 'true' }, 5, entry);
        // The process' CPU until ready: steadier than the wall clock on a shared machine.
        const cpu = cpuMs(app.pid) ?? NaN;
        if (entry === entries[0]) result.startMs.push(app.readyMs);
        if (entry) {
          result.byEntry[entry]!.startMs.push(app.readyMs);
          result.byEntry[entry]!.cpuMs.push(cpu);
          result.byEntry[entry]!.load1.push(os.loadavg()[0]!);
        }
        say(`warm start to ready${entry ? ` (${entry})` : ''}: ${f0(app.readyMs)} ms, ${f0(cpu)} ms CPU, load ${f2(os.loadavg()[0]!)}`);
        await app.stop();
      }
    }
    say(`warm start to ready: ${result.startMs.map((ms) => `${f0(ms)} ms`).join(', ')}`);

    // ---- rounds
    const seams = await options.startApp('seams', telemetry, { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    servers.push(seams);
    // PLATFORM_ROUNDS=0 (the memory and start phases alone): the untraced app only, to create what the memory phase reads.
    const roundsOnly = async (start: () => Promise<ChildServer>): Promise<ChildServer | undefined> => {
      if (CFG.rounds === 0) return undefined;
      const server = await start();
      servers.push(server);
      return server;
    };
    const seamsTraced = await roundsOnly(() => options.startApp('seams-traced', telemetry, { ...traced, OTEL_SERVICE_NAME: 'seams-bench-traced' }));
    const bare = await roundsOnly(() => options.startBare('bare', [], { BARE_ORDERS: '1', JWT_SECRET: options.secret }));
    // The same bare server under npm start's heap flags (a young generation half V8's default size, so twice the
    // scavenges): how much of seams / bare is those flags, which the memory target asks for, rather than the platform.
    const bareHeap = await roundsOnly(() => options.startBare('bare-heap', [...HEAP_FLAGS], {}));
    const bareOtel = await roundsOnly(() => options.startBare('bare-otel', ['--import', path.join(options.root, 'bench/http-otel-standard.ts')], { ...traced, OTEL_SERVICE_NAME: 'bench-bare-otel' }));

    const product = await must('creating the product', api(seams.url, 'POST', '/catalog/products', options.adminToken, { sku: 'bench-platform-read', name: 'Benchmark product', priceCents: 1234, currency: 'EUR' }));
    await must('setting stock', api(seams.url, 'PUT', `/inventory/items/${String(product.id)}`, options.adminToken, { onHand: 1_000_000_000 }));
    const readPath = `/catalog/products/${String(product.id)}`;
    const customer = 'bench-platform-customer';
    const customerToken = options.customerToken(customer);
    const order = await must('placing the order to read', api(seams.url, 'POST', '/orders', customerToken, { lines: [{ productId: product.id, quantity: 1 }] }));
    const orderPath = `/orders/${String(order.id)}`;
    // Settled first, so every server reads the same answer.
    for (let i = 0; i < 200 && (await api(seams.url, 'GET', orderPath, customerToken)).json.status === 'pending'; i++) await sleep(50);

    const targets = (
      [
        { key: 'bare read', server: bare, endpoint: 'read' },
        { key: 'bare+otel read', server: bareOtel, endpoint: 'read' },
        { key: 'bare+heap flags read', server: bareHeap, endpoint: 'read' },
        { key: 'seams read', server: seams, endpoint: 'read' },
        { key: 'seams+trace read', server: seamsTraced, endpoint: 'read' },
        { key: 'bare+jwt order', server: bare, endpoint: 'order' },
        { key: 'seams order', server: seams, endpoint: 'order' },
      ] as Array<{ key: string; server: ChildServer | undefined; endpoint: Endpoint }>
    ).filter((target): target is { key: string; server: ChildServer; endpoint: Endpoint } => CFG.rounds > 0 && target.server !== undefined);
    const requestOf = (endpoint: Endpoint): Pick<LoadOptions, 'headers'> & { path: string } =>
      endpoint === 'read' ? { path: readPath } : { path: orderPath, headers: { authorization: `Bearer ${customerToken}` } };
    // The same answer from every server of an endpoint, or the comparison means nothing.
    const reference: Partial<Record<Endpoint, string>> = {};
    for (const target of targets) {
      const { path: url, headers } = requestOf(target.endpoint);
      const answer = await api(target.server.url, 'GET', url, headers ? customerToken : undefined);
      reference[target.endpoint] ??= answer.text;
      if (answer.status !== 200 || answer.text !== reference[target.endpoint]) throw new Error(`${target.key} answers ${answer.status} ${answer.text}, expected ${reference[target.endpoint]}`);
      result.windows[target.key] = [];
    }
    say(`servers: ${targets.map((t) => `${t.key} pid ${t.server.pid}`).join(', ')}; receiver pid ${receiver.pid}`);

    for (let round = 0; round < CFG.rounds; round++) {
      const shift = round % targets.length;
      const order = [...targets.slice(shift), ...targets.slice(0, shift)];
      if (round % 2 === 1) order.reverse();
      for (const target of order) {
        const { path: url, headers } = requestOf(target.endpoint);
        const options_ = { url: target.server.url + url, connections: options.connections, ...(headers ? { headers } : {}) };
        await load({ ...options_, duration: CFG.warmup });
        const before = cpuMs(target.server.pid);
        const measured = await load({ ...options_, duration: CFG.secs });
        const after = cpuMs(target.server.pid);
        const window: Window = { ...measured, serverUs: before === undefined || after === undefined ? NaN : ((after - before) * 1000) / measured.ok, load1: os.loadavg()[0]! };
        result.windows[target.key]!.push(window);
        say(`round ${round + 1}/${CFG.rounds} ${target.key}: ${f0(window.rps)} req/s, p99 ${f1(window.p99)} ms, server CPU ${f0(window.serverUs)} us/req, load ${f1(window.load1)}${window.failed ? `, ${window.failed} FAILED` : ''}`);
      }
      const rps = (key: string) => result.windows[key]![round]!.rps;
      const ratios: Record<string, number> = {
        'read, tracing off: seams / bare': rps('seams read') / rps('bare read'),
        'authenticated read: seams / bare + JWT verify': rps('seams order') / rps('bare+jwt order'),
        'read, tracing on: seams+trace / seams': rps('seams+trace read') / rps('seams read'),
        'peer: bare + standard OTel / bare': rps('bare+otel read') / rps('bare read'),
        'seams+trace / bare + standard OTel': rps('seams+trace read') / rps('bare+otel read'),
        'bare with npm start\'s heap flags / bare': rps('bare+heap flags read') / rps('bare read'),
        'read, tracing off: seams / bare with the same heap flags': rps('seams read') / rps('bare+heap flags read'),
      };
      for (const [name, value] of Object.entries(ratios)) (result.ratios[name] ??= []).push(value);
    }
    const stats = (await (await fetch(`${receiver.url}/stats`)).json()) as { spans: number; serviceNames: string[] };
    for (const server of [seams, seamsTraced, bare, bareHeap, bareOtel]) await server?.stop();

    if (CFG.rounds > 0) printRounds(result, stats);

    // ---- memory: a fresh app as `npm start` runs it in production (tracing on, exporting); with APP_ENTRIES, the
    // entries after the first one first, each for its reads only.
    for (const entry of entries.slice(1)) {
      const other = await options.startApp(`seams-memory-${entry}`, telemetry, { ...traced, OTEL_SERVICE_NAME: 'seams-bench-memory' }, undefined, entry);
      servers.push(other);
      await sleep(1000);
      result.byEntry[entry!]!.readyMb = rssMb(other.pid);
      await memoryReads(other, readPath, entry);
      result.byEntry[entry!]!.afterReadsMb = rssMb(other.pid);
      say(`memory (${entry}): RSS ${f1(result.byEntry[entry!]!.readyMb)} MB when ready, ${f1(result.byEntry[entry!]!.afterReadsMb)} MB after ${CFG.memorySecs} s of reads, load ${f2(os.loadavg()[0]!)}`);
      await other.stop();
    }
    const app = await options.startApp('seams-memory', telemetry, { ...traced, OTEL_SERVICE_NAME: 'seams-bench-memory' }, undefined, entries[0]);
    servers.push(app);
    await sleep(1000);
    result.memory.readyMb = rssMb(app.pid);
    say(`memory: RSS ${f1(result.memory.readyMb)} MB when ready; ${CFG.memorySecs} s of reads`);
    await memoryReads(app, readPath, entries[0]);
    result.memory.afterReadsMb = rssMb(app.pid);
    if (entries[0]) Object.assign(result.byEntry[entries[0]]!, { readyMb: result.memory.readyMb, afterReadsMb: result.memory.afterReadsMb });
    say(`memory: RSS ${f1(result.memory.afterReadsMb)} MB after ${CFG.memorySecs} s of reads; ${CFG.mixedSecs} s of reads and ${CFG.mixedOrderRate} orders/s`);
    if (CFG.mixedSecs > 0) {
      const headers = { authorization: `Bearer ${customerToken}`, 'content-type': 'application/json' };
      const startedAt = performance.now();
      result.memory.mixed.push({ atSecs: 0, rssMb: rssMb(app.pid) });
      const sampler = setInterval(() => {
        const atSecs = Math.round((performance.now() - startedAt) / 1000);
        result.memory.mixed.push({ atSecs, rssMb: rssMb(app.pid) });
        say(`memory: RSS ${f1(result.memory.mixed.at(-1)!.rssMb)} MB at ${atSecs} s of the mixed load`);
      }, 60_000);
      try {
        await Promise.all([
          load({ url: app.url + readPath, connections: Math.max(1, options.connections - 4), duration: CFG.mixedSecs }),
          load({
            url: `${app.url}/orders`,
            connections: 4,
            duration: CFG.mixedSecs,
            overallRate: CFG.mixedOrderRate,
            requests: [{ method: 'POST', path: '/orders', headers, body: JSON.stringify({ lines: [{ productId: product.id, quantity: 1 }] }) }],
          }),
        ]);
      } finally {
        clearInterval(sampler);
      }
      const atSecs = Math.round((performance.now() - startedAt) / 1000);
      if (result.memory.mixed.at(-1)!.atSecs < atSecs - 5) result.memory.mixed.push({ atSecs, rssMb: rssMb(app.pid) });
    }
    await app.stop();
    printMemoryAndStart(result);
    return result;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

function printRounds(result: PlatformResult, spans: { spans: number; serviceNames: string[] }): void {
  console.log(`\nPlatform overhead: all servers up, ${CFG.rounds} alternating rounds, ${CFG.secs} s per window after ${CFG.warmup} s warm-up`);
  console.log(
    table(
      ['server, endpoint', 'req/s (median)', 'p99 ms', 'server CPU us/req', 'req/s per round', 'load 1m per round'],
      Object.entries(result.windows).map(([key, windows]) => [
        key,
        f0(median(windows.map((w) => w.rps))),
        f1(median(windows.map((w) => w.p99))),
        f0(median(windows.map((w) => w.serverUs))),
        windows.map((w) => f0(w.rps)).join(' / '),
        windows.map((w) => f1(w.load1)).join(' / '),
      ]),
    ),
  );
  const targets: Record<string, number> = {
    'read, tracing off: seams / bare': 0.9,
    'authenticated read: seams / bare + JWT verify': 0.85,
    'read, tracing on: seams+trace / seams': 0.85,
  };
  console.log('');
  console.log(
    table(
      ['ratio', 'median', 'per round', 'target', 'verdict'],
      Object.entries(result.ratios).map(([name, values]) => {
        const target = targets[name];
        const m = median(values);
        return [name, f2(m), values.map(f2).join(' / '), target === undefined ? '-' : `>= ${target}`, target === undefined ? '-' : m >= target ? 'met' : 'missed'];
      }),
    ),
  );
  console.log(`spans received from the traced servers (both export to one receiver): ${f0(spans.spans)}`);
}

function printMemoryAndStart(result: PlatformResult): void {
  const { memory } = result;
  console.log(`\nMemory (RSS) of the app as npm start runs it (tracing on, exporting):`);
  console.log(`  when ready ${f1(memory.readyMb)} MB; after ${CFG.memorySecs} s of reads ${f1(memory.afterReadsMb)} MB (target <= 150): ${memory.afterReadsMb <= 150 ? 'met' : 'missed'}`);
  if (memory.mixed.length > 1) {
    const first = memory.mixed.find((m) => m.atSecs >= 55) ?? memory.mixed[0]!;
    const last = memory.mixed.at(-1)!;
    const growth = last.rssMb / first.rssMb - 1;
    console.log(`  mixed load (reads + ${CFG.mixedOrderRate} orders/s): ${memory.mixed.map((m) => `${m.atSecs} s ${f1(m.rssMb)} MB`).join(', ')}`);
    console.log(`  from ${first.atSecs} s to ${last.atSecs} s: ${growth >= 0 ? '+' : ''}${f1(growth * 100)} % (flat: within 10 %): ${growth <= 0.1 ? 'met' : 'missed'}`);
  }
  const start = median(result.startMs);
  console.log(`\nStart to ready, warm (migrated database), median of ${result.startMs.length}: ${f0(start)} ms (${result.startMs.map(f0).join(', ')}) (target <= 1500): ${start <= 1500 ? 'met' : 'missed'}`);
  if (Object.keys(result.byEntry).length > 0) {
    console.log(`\nBy entry (APP_ENTRIES), in one run:`);
    console.log(table(
      ['entry', 'start ms (median)', 'starts', 'start CPU ms (median)', 'load', 'RSS ready MB', `RSS after ${CFG.memorySecs} s MB`, 'reads/s', 'CPU us/read'],
      Object.entries(result.byEntry).map(([entry, e]) => [entry, f0(median(e.startMs)), e.startMs.map(f0).join(', '), f0(median(e.cpuMs)), e.load1.map(f2).join(' '), f1(e.readyMb), f1(e.afterReadsMb), f0(e.rps), f0(e.usPerRead)]),
    ));
  }
}
