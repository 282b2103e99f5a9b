// The tracing-overhead phase of `npm run bench:http` (also alone: `npm run bench:http:tracing`). How many fewer req/s
// does the product read serve with tracing on, against the same app with tracing off? Target (issue 5, DESIGN): at
// most 15 % fewer.
//
//   on    node --import src/telemetry.ts src/main.ts, OTEL_TRACES_SAMPLER=always_on, OTEL_EXPORTER_OTLP_ENDPOINT at a
//         local OTLP/HTTP receiver (bench/http-otlp-receiver.ts, its own process): spans go through the SDK's batch
//         processor and exporter as in production, and the receiver counts them
//   off   the same command and environment with OTEL_SDK_DISABLED=true, the documented way to turn tracing off
//         (TRACING_OFF=disabled, the default); or with no --import at all (TRACING_OFF=no-import), which also leaves
//         out the loader hook. Both send their metrics to the receiver alike, so tracing is the only difference.
//
// On a shared 2-core machine one long window each says little: the neighbours come and go. So both servers start once
// and take turns in TRACING_PAIRS short pairs, in ABBA order (off-on, on-off, ...), the same endpoint and connections,
// each window after its own warm-up. Each pair gives a ratio of two windows a few seconds apart; the verdict is the
// median of those ratios, printed with their spread and with how busy the rest of the machine was in each window.
// Both servers stay up throughout, so each has the other's idle background work beside it alike.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { cpuMs, cpuMsOf, f0, f1, freePort, load, median, startChild, table, type ChildServer, type LoadResult } from './http-support.ts';

export interface TracingOptions {
  readonly root: string;
  readonly dbUrl: string;
  /** The product read, e.g. /catalog/products/<id>. */
  readonly readPath: string;
  readonly connections: number;
  readonly pairs: number;
  /** Measured seconds per window. */
  readonly secs: number;
  /** Warm-up seconds before each window. */
  readonly warmup: number;
  readonly off: 'disabled' | 'no-import';
  /** Extra environment for the tracing-on app only, to take it apart (e.g. OTEL_TRACES_SAMPLER=always_off). */
  readonly onEnv: Record<string, string>;
  /** Starts the app with these node arguments before src/main.ts and this extra environment. */
  readonly startApp: (label: string, nodeArgs: string[], env: Record<string, string>) => Promise<ChildServer>;
}

interface Window {
  readonly result: LoadResult;
  /** Server CPU per successful request, µs. */
  readonly serverUs: number;
  /** Cores' worth of CPU used by everything that is not this benchmark (server, database, receiver, load generator). */
  readonly othersCores: number;
  /** Cores' worth of CPU the hypervisor took away (steal). */
  readonly stealCores: number;
  readonly load1: number;
}

interface Pair {
  readonly order: 'off-on' | 'on-off';
  readonly off: Window;
  readonly on: Window;
  /** 1 - on req/s / off req/s. */
  readonly overhead: number;
  /** on CPU per request / off CPU per request - 1. */
  readonly cpuOverhead: number;
}

export interface TracingResult {
  readonly pairs: Pair[];
  readonly overhead: number;
  readonly spread: { min: number; max: number };
  readonly met: boolean;
  readonly spans: { probes: number; received: number; perRequest: number; expected: number; checked: boolean; serviceNames: string[] };
}

const TARGET = 0.15;
const CLOCK_TICKS = 100;

/**
 * CPU ms of the whole machine so far (all cores), from /proc/stat; NaN off Linux. busy: user, nice, system, irq and
 * softirq (guest time is already in user). steal: time the hypervisor gave this VM's cores to someone else.
 */
function machineMs(): { busy: number; steal: number } {
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const ms = (ticks: number) => (ticks * 1000) / CLOCK_TICKS;
    return { busy: ms(user! + nice! + system! + (irq ?? 0) + (softirq ?? 0)), steal: ms(steal ?? 0) };
  } catch {
    return { busy: NaN, steal: NaN };
  }
}

interface ReceiverStats {
  traceBatches: number;
  spans: number;
  metricBatches: number;
  bytes: number;
  serviceNames: string[];
  spanNames: Record<string, number>;
  countChecked: boolean;
  rejected: number;
}

async function receiverStats(receiver: ChildServer): Promise<ReceiverStats> {
  return (await (await fetch(`${receiver.url}/stats`)).json()) as ReceiverStats;
}

/** The BatchSpanProcessor exports every 5 s (scheduledDelayMillis) or at 512 spans: wait until nothing more arrives. */
async function settledSpans(receiver: ChildServer): Promise<number> {
  let last = -1;
  for (let i = 0; i < 20; i++) {
    const { spans } = await receiverStats(receiver);
    if (spans === last) return spans;
    last = spans;
    await sleep(6000);
  }
  return last;
}

export async function tracingPhase(options: TracingOptions): Promise<TracingResult> {
  const say = (message: string) => console.error(`[tracing] ${message}`);
  const receiverPort = await freePort();
  const receiver = await startChild({
    name: 'otlp-receiver',
    args: [path.join(options.root, 'bench/http-otlp-receiver.ts')],
    env: { PORT: String(receiverPort) },
    port: receiverPort,
    readyPath: '/health',
  });
  const telemetry = ['--import', path.join(options.root, 'src/telemetry.ts')];
  const common = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'seams-bench-tracing' };
  const stats = new pg.Client({ connectionString: options.dbUrl, application_name: 'seams:bench-stats' });
  let off: ChildServer | undefined;
  let on: ChildServer | undefined;
  try {
    off = await options.startApp('app-tracing-off', options.off === 'disabled' ? telemetry : [], { ...common, OTEL_SDK_DISABLED: 'true' });
    on = await options.startApp('app-tracing-on', telemetry, { ...common, OTEL_SDK_DISABLED: 'false', OTEL_TRACES_SAMPLER: 'always_on', ...options.onEnv });
    if (Object.keys(options.onEnv).length > 0) say(`tracing-on app with ${JSON.stringify(options.onEnv)}`);
    say(`off pid ${off.pid} (${options.off === 'disabled' ? '--import src/telemetry.ts, OTEL_SDK_DISABLED=true' : 'no --import'}), on pid ${on.pid}, receiver pid ${receiver.pid}`);
    await stats.connect();
    const backends = async () =>
      (await stats.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')).rows.map((r) => r.pid);

    // How many spans one read makes, before any load: the expected count later tells whether spans were dropped.
    const before = await settledSpans(receiver);
    await fetch(`${receiver.url}/decode-next`, { method: 'POST' });
    const probes = 20;
    for (let i = 0; i < probes; i++) {
      const response = await fetch(on.url + options.readPath);
      if (response.status !== 200) throw new Error(`tracing-on app answers ${response.status} on ${options.readPath}; expected 200`);
      await response.arrayBuffer();
    }
    const perRequest = ((await settledSpans(receiver)) - before) / probes;
    if (!(perRequest > 0) && Object.keys(options.onEnv).length === 0) throw new Error(`the OTLP receiver got no spans from the tracing-on app after ${probes} reads: the exporter is not exporting`);
    // With TRACING_ON_ENV (e.g. always_off sampling) no spans may be the point of the probe: said, not fatal.
    say(`${perRequest} spans per read reach the receiver${perRequest > 0 ? '' : ` (none: TRACING_ON_ENV ${JSON.stringify(options.onEnv)})`}`);

    let onRequests = 0;
    const window = async (server: ChildServer): Promise<Window> => {
      const url = server.url + options.readPath;
      const warm = await load({ url, connections: options.connections, duration: options.warmup });
      // Both apps (the idle one's background work is this benchmark's too), the receiver, the database's backends.
      const pids = [off!.pid, on!.pid, receiver.pid, ...(await backends())];
      const mine = cpuMsOf(pids).ms;
      const self = process.cpuUsage();
      const machine = machineMs();
      const serverBefore = cpuMs(server.pid);
      const started = performance.now();
      const result = await load({ url, connections: options.connections, duration: options.secs });
      const ms = performance.now() - started;
      const serverAfter = cpuMs(server.pid);
      const selfUsage = process.cpuUsage(self);
      const selfMs = (selfUsage.user + selfUsage.system) / 1000;
      // Backends that came and went during the window are missed; the app's pool keeps its connections.
      const machineAfter = machineMs();
      const othersMs = machineAfter.busy - machine.busy - (cpuMsOf(pids).ms - mine) - selfMs;
      if (server === on) onRequests += warm.ok + warm.failed + result.ok + result.failed;
      return {
        result,
        serverUs: serverBefore === undefined || serverAfter === undefined || result.ok === 0 ? NaN : ((serverAfter - serverBefore) * 1000) / result.ok,
        othersCores: Math.max(0, othersMs) / ms,
        stealCores: (machineAfter.steal - machine.steal) / ms,
        load1: os.loadavg()[0]!,
      };
    };

    const pairs: Pair[] = [];
    for (let i = 0; i < options.pairs; i++) {
      const order = i % 2 === 0 ? 'off-on' : 'on-off';
      const first = await window(order === 'off-on' ? off : on);
      const second = await window(order === 'off-on' ? on : off);
      const [offWindow, onWindow] = order === 'off-on' ? [first, second] : [second, first];
      const pair: Pair = {
        order,
        off: offWindow,
        on: onWindow,
        overhead: 1 - onWindow.result.rps / offWindow.result.rps,
        cpuOverhead: onWindow.serverUs / offWindow.serverUs - 1,
      };
      pairs.push(pair);
      say(
        `pair ${i + 1}/${options.pairs} (${order}): off ${f0(offWindow.result.rps)} req/s, on ${f0(onWindow.result.rps)} req/s, ` +
          `overhead ${f1(pair.overhead * 100)}%, CPU/req ${f0(offWindow.serverUs)} -> ${f0(onWindow.serverUs)} us, load ${offWindow.load1.toFixed(2)}`,
      );
    }

    const received = await settledSpans(receiver);
    const final = await receiverStats(receiver);
    const expected = before + perRequest * (probes + onRequests);
    const overheads = pairs.map((p) => p.overhead);
    const result: TracingResult = {
      pairs,
      overhead: median(overheads),
      spread: { min: Math.min(...overheads), max: Math.max(...overheads) },
      met: median(overheads) <= TARGET,
      spans: { probes, received, perRequest, expected, checked: final.countChecked, serviceNames: final.serviceNames },
    };
    report(options, result, final);
    return result;
  } finally {
    await stats.end().catch(() => undefined);
    await Promise.all([off?.stop(), on?.stop()]);
    await receiver.stop();
  }
}

function report(options: TracingOptions, result: TracingResult, receiver: ReceiverStats): void {
  const pct = (x: number) => `${f1(x * 100)}%`;
  const failed = result.pairs.reduce((n, p) => n + p.off.result.failed + p.on.result.failed, 0);
  console.log(
    `\nTracing overhead: GET /catalog/products/:id, ${options.connections} connections, ${options.pairs} pairs of ${options.secs} s windows (each after ${options.warmup} s warm-up), ABBA order`,
  );
  console.log(
    `  on:  --import src/telemetry.ts, always_on sampling, BatchSpanProcessor -> OTLP/HTTP JSON -> receiver on 127.0.0.1\n` +
      `  off: ${options.off === 'disabled' ? '--import src/telemetry.ts with OTEL_SDK_DISABLED=true' : 'no --import (no SDK, no loader hook)'}; both export metrics to the receiver`,
  );
  console.log(
    table(
      ['pair', 'order', 'off req/s', 'on req/s', 'overhead', 'off CPU us/req', 'on CPU us/req', 'CPU +', 'off p99 ms', 'on p99 ms', 'others, cores', 'steal, cores', 'load 1m'],
      result.pairs.map((p, i) => [
        String(i + 1),
        p.order,
        f0(p.off.result.rps),
        f0(p.on.result.rps),
        pct(p.overhead),
        f0(p.off.serverUs),
        f0(p.on.serverUs),
        pct(p.cpuOverhead),
        f1(p.off.result.p99),
        f1(p.on.result.p99),
        `${p.off.othersCores.toFixed(2)} / ${p.on.othersCores.toFixed(2)}`,
        `${p.off.stealCores.toFixed(2)} / ${p.on.stealCores.toFixed(2)}`,
        `${p.off.load1.toFixed(2)} / ${p.on.load1.toFixed(2)}`,
      ]),
    ),
  );
  console.log(
    `  "others, cores": CPU used during the window by processes other than the server, its database backends, the receiver and this benchmark (off / on window); steal: taken by the hypervisor` +
      `${failed ? `\n  ${failed} requests FAILED` : ''}`,
  );
  const delivered = result.spans.received / result.spans.expected;
  console.log(
    `  spans: ${f1(result.spans.perRequest)} per read; the receiver got ${f0(result.spans.received)} of ${f0(result.spans.expected)} expected (${pct(delivered)}) ` +
      `in ${receiver.traceBatches} batches, ${f0(receiver.bytes / 2 ** 20)} MiB, service.name ${result.spans.serviceNames.join(', ') || 'none'}, ` +
      `count ${result.spans.checked ? 'checked against a decoded batch' : 'NOT checked'}${receiver.rejected ? `, ${receiver.rejected} requests rejected` : ''}`,
  );
  console.log(`  spans of ${result.spans.probes} single reads: ${Object.entries(receiver.spanNames).map(([name, n]) => `${name} x${n}`).join(', ')}`);
  if (delivered < 0.99) console.log(`  WARNING: ${pct(1 - delivered)} of the spans never reached the receiver (dropped by the batch processor's full queue, or lost)`);
  console.log(
    `  server CPU per request, median of pairs: +${pct(median(result.pairs.map((p) => p.cpuOverhead)))}; ` +
      `req/s overhead per pair: ${result.pairs.map((p) => pct(p.overhead)).join(', ')}`,
  );
  console.log(
    `tracing overhead: ${pct(result.overhead)} fewer req/s, median of ${result.pairs.length} pairs (spread ${pct(result.spread.min)} to ${pct(result.spread.max)}) ` +
      `(target <= ${TARGET * 100}%): ${result.met ? 'met' : 'missed'}`,
  );
}
