// The tracing-overhead phase of `npm run bench:http` (also alone: `npm run bench:http:tracing`). How much less does
// the app serve with tracing on, against the same app with tracing off? Targets (issue 13): a read keeps at least 0.85 of
// the untraced app's requests/s (at most 15 % fewer), orders lose at most 10 %. Two workloads, each in its own
// interleaved pairs:
//
//   read    GET /catalog/products/:id: the cheapest request there is (one primary-key SELECT, ~100 µs of server CPU),
//           so the worst case for a cost that is paid per span
//   orders  POST /orders (customer token, one line of quantity 1, products with stock for the whole run): the main
//           user action. Its trace spans the request, the catalog price call, SQL, the outbox and, later, the handlers
//           in inventory, payments, ordering and order-history. Measured twice: POST req/s (202) over the window, and
//           completion: the window's orders / (first placed -> last confirmed or cancelled), read from
//           ordering.orders after waiting for them all to settle, since the handlers' spans are tracing's cost too
//
//   on    node --import src/telemetry.ts src/main.ts, OTEL_TRACES_SAMPLER=always_on, OTEL_EXPORTER_OTLP_ENDPOINT at a
//         local OTLP/HTTP receiver (bench/http-otlp-receiver.ts, its own process): spans go through the SDK's batch
//         processor and exporter as in production, and the receiver counts them
//   off   the same command and environment with OTEL_SDK_DISABLED=true, the documented way to turn tracing off
//         (TRACING_OFF=disabled, the default); or with no --import at all (TRACING_OFF=no-import), which also leaves
//         out the loader hook. Both send their metrics to the receiver alike, so tracing is the only difference.
//
// Each app has a database of its own: with one, the idle app's event bus would take its share of the other's events
// (the advisory lock hands a subscription to whichever instance asks first), and run untraced handlers for the traced
// app's orders. On a shared 2-core machine one long window each says little: the neighbours come and go. So both
// servers start once and take turns in TRACING_PAIRS short pairs, in ABBA order (off-on, on-off, ...), the same
// endpoint and connections. A read window follows its own warm-up; an order window starts with nothing pending and
// ends once its orders have settled, so no app works off its backlog in the other's window. Each pair gives a ratio of
// two windows seconds apart; the verdict is the median of those ratios, printed with their spread and with how busy
// the rest of the machine was in each window.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { cpuMs, cpuMsOf, f0, f1, freePort, load, median, startChild, table, waitSettled, type ChildServer, type LoadResult } from './http-support.ts';

export type Workload = 'read' | 'orders';

export interface TracingOptions {
  readonly root: string;
  /** A database for each app (the app provisions it at start-up); see above for why not one. */
  readonly dbUrls: { readonly off: string; readonly on: string };
  readonly adminToken: string;
  /** A token for a customer with this subject (no roles). */
  readonly customerToken: (subject: string) => string;
  readonly workloads: readonly Workload[];
  /** Products the orders cycle through, each with stock for the whole run. */
  readonly orderProducts: number;
  /** How long an order window's orders may take to settle before the run gives up. */
  readonly drainTimeoutMs: number;
  readonly connections: number;
  readonly pairs: number;
  /** Measured seconds per window. */
  readonly secs: number;
  /** Warm-up seconds before each read window, and of orders once per app before the first order window. */
  readonly warmup: number;
  readonly off: 'disabled' | 'no-import';
  /** Extra environment for the tracing-on app only, to take it apart (e.g. OTEL_TRACES_SAMPLER=always_off). */
  readonly onEnv: Record<string, string>;
  /** Starts the app on this database with these node arguments before src/main.ts and this extra environment. */
  readonly startApp: (label: string, dbUrl: string, nodeArgs: string[], env: Record<string, string>) => Promise<ChildServer>;
}

interface Window {
  readonly result: LoadResult;
  /** Server CPU per successful request (read) or per order placed, from the window's start to its orders settling, µs. */
  readonly serverUs: number;
  /** Cores' worth of CPU used by everything that is not this benchmark (server, database, receiver, load generator). */
  readonly othersCores: number;
  /** Cores' worth of CPU the hypervisor took away (steal). */
  readonly stealCores: number;
  readonly load1: number;
  /** Orders only: how they ended and how fast. */
  readonly orders?: OrderOutcome;
}

interface OrderOutcome {
  readonly placed: number;
  readonly confirmed: number;
  readonly cancelled: number;
  /** Not settled when the wait gave up. */
  readonly pending: number;
  /** Settled orders / (first placed -> last settled). */
  readonly completedPerSec: number;
  /** Window end -> last settled, seconds. */
  readonly drainSecs: number;
}

interface Pair {
  readonly order: 'off-on' | 'on-off';
  readonly off: Window;
  readonly on: Window;
  /** 1 - on req/s / off req/s. */
  readonly overhead: number;
  /** Orders: 1 - on completed/s / off completed/s. */
  readonly completionOverhead: number;
  /** on CPU per request / off CPU per request - 1. */
  readonly cpuOverhead: number;
}

interface Verdict {
  readonly label: string;
  readonly target: number;
  readonly overhead: number;
  readonly spread: { min: number; max: number };
  readonly met: boolean;
}

export interface WorkloadResult {
  readonly workload: Workload;
  readonly pairs: Pair[];
  readonly verdicts: Verdict[];
  /** Spans one request (read) or one order, with all its handlers (orders), makes: measured on single probes. */
  readonly spansPerUnit: number;
  readonly spanNames: Record<string, number>;
}

export interface TracingResult {
  readonly workloads: WorkloadResult[];
  readonly spans: { received: number; expected: number; checked: boolean; serviceNames: string[]; batches: number; bytes: number; rejected: number };
}

/** The most tracing may cost each workload, as a fraction of the untraced app's rate (issue 13). */
const TARGETS: Record<Workload, number> = { read: 0.15, orders: 0.1 };
const CLOCK_TICKS = 100;
const READ_PROBES = 20;
const ORDER_PROBES = 10;

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

async function api(base: string, method: string, url: string, token: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(base + url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${url} on ${base}: expected 2xx, got ${response.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** One app under test: its server, its database, and what the workloads need in it. */
interface Side {
  readonly label: 'off' | 'on';
  readonly server: ChildServer;
  readonly db: pg.Client;
  readPath: string;
  productIds: string[];
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
  const sides: Side[] = [];
  try {
    const start = async (label: 'off' | 'on', nodeArgs: string[], env: Record<string, string>): Promise<Side> => {
      const server = await options.startApp(`app-tracing-${label}`, options.dbUrls[label], nodeArgs, { ...common, ...env });
      const db = new pg.Client({ connectionString: options.dbUrls[label], application_name: 'seams:bench-stats' });
      const side: Side = { label, server, db, readPath: '', productIds: [] };
      sides.push(side);
      await db.connect();
      return side;
    };
    const off = await start('off', options.off === 'disabled' ? telemetry : [], { OTEL_SDK_DISABLED: 'true' });
    const on = await start('on', telemetry, { OTEL_SDK_DISABLED: 'false', OTEL_TRACES_SAMPLER: 'always_on', ...options.onEnv });
    if (Object.keys(options.onEnv).length > 0) say(`tracing-on app with ${JSON.stringify(options.onEnv)}`);
    say(`off pid ${off.server.pid} (${options.off === 'disabled' ? '--import src/telemetry.ts, OTEL_SDK_DISABLED=true' : 'no --import'}), on pid ${on.server.pid}, receiver pid ${receiver.pid}`);

    // The same data in both databases: a product to read, and products to order with stock for the whole run.
    for (const side of [off, on]) {
      const product = await api(side.server.url, 'POST', '/catalog/products', options.adminToken, { sku: 'bench-trace-read', name: 'Read product', priceCents: 1234, currency: 'EUR' });
      side.readPath = `/catalog/products/${String(product.id)}`;
      if (!options.workloads.includes('orders')) continue;
      for (let i = 0; i < options.orderProducts; i++) {
        const created = await api(side.server.url, 'POST', '/catalog/products', options.adminToken, { sku: `bench-trace-order-${i}`, name: `Order product ${i}`, priceCents: 500 + i, currency: 'EUR' });
        await api(side.server.url, 'PUT', `/inventory/items/${String(created.id)}`, options.adminToken, { onHand: 1_000_000_000 });
        side.productIds.push(String(created.id));
      }
    }

    const backends = async (side: Side) =>
      (await side.db.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')).rows.map((r) => r.pid);
    const postOrders = (side: Side, customer: string, duration: number) => {
      const headers = { authorization: `Bearer ${options.customerToken(customer)}`, 'content-type': 'application/json' };
      return load({
        url: `${side.server.url}/orders`,
        connections: options.connections,
        duration,
        requests: side.productIds.map((productId) => ({ method: 'POST', path: '/orders', headers, body: JSON.stringify({ lines: [{ productId, quantity: 1 }] }) })),
      });
    };

    // How many spans one read, and one order with all its handlers, make, before any load: the expected count later
    // tells whether spans were dropped, and the decoded probes name them.
    const before = await settledSpans(receiver);
    const probe = async (workload: Workload): Promise<{ perUnit: number; names: Record<string, number> }> => {
      const from = await settledSpans(receiver);
      await fetch(`${receiver.url}/decode`, { method: 'POST', body: 'on' });
      let probes: number;
      if (workload === 'read') {
        probes = READ_PROBES;
        for (let i = 0; i < probes; i++) {
          const response = await fetch(on.server.url + on.readPath);
          if (response.status !== 200) throw new Error(`tracing-on app answers ${response.status} on ${on.readPath}; expected 200`);
          await response.arrayBuffer();
        }
      } else {
        probes = ORDER_PROBES;
        const token = options.customerToken('bench-trace-probe');
        for (let i = 0; i < probes; i++) {
          const placed = await fetch(`${on.server.url}/orders`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ lines: [{ productId: on.productIds[i % on.productIds.length], quantity: 1 }] }),
          });
          if (placed.status !== 202) throw new Error(`tracing-on app answers ${placed.status} on POST /orders; expected 202: ${await placed.text()}`);
          await placed.arrayBuffer();
        }
        const { counts: settled } = await waitSettled(on.db, 'bench-trace-probe', options.drainTimeoutMs);
        if (settled.pending > 0) throw new Error(`${settled.pending} probe orders did not settle within ${options.drainTimeoutMs / 1000} s`);
      }
      const perUnit = ((await settledSpans(receiver)) - from) / probes;
      const names = (await (await fetch(`${receiver.url}/decode`, { method: 'POST', body: 'off' })).json()) as Record<string, number>;
      if (!(perUnit > 0) && Object.keys(options.onEnv).length === 0) throw new Error(`the OTLP receiver got no spans from the tracing-on app after ${probes} ${workload} probes: the exporter is not exporting`);
      // With TRACING_ON_ENV (e.g. always_off sampling) no spans may be the point of the probe: said, not fatal.
      say(`${perUnit} spans per ${workload === 'read' ? 'read' : 'order, handlers included,'} reach the receiver${perUnit > 0 ? '' : ` (none: TRACING_ON_ENV ${JSON.stringify(options.onEnv)})`}`);
      return { perUnit, names };
    };

    let expected = before;
    const results: WorkloadResult[] = [];
    for (const workload of options.workloads) {
      const { perUnit, names } = await probe(workload);
      expected += perUnit * (workload === 'read' ? READ_PROBES : ORDER_PROBES);

      // Orders: one warm-up per app, settled before the first window (the apps stay up, so they stay warm).
      if (workload === 'orders') {
        for (const side of [off, on]) {
          const warm = await postOrders(side, 'bench-trace-warmup', options.warmup);
          if (warm.ok === 0) throw new Error(`POST /orders on the tracing-${side.label} app: no order accepted in the warm-up: ${JSON.stringify(warm.statuses)}`);
          const { counts: settled } = await waitSettled(side.db, 'bench-trace-warmup', options.drainTimeoutMs);
          if (settled.pending > 0) throw new Error(`${settled.pending} warm-up orders of the tracing-${side.label} app did not settle within ${options.drainTimeoutMs / 1000} s`);
          if (side === on) expected += perUnit * settled.total;
        }
      }

      let windows = 0;
      const window = async (side: Side): Promise<Window> => {
        windows += 1;
        const customer = `bench-trace-${side.label}-${windows}`;
        const url = side.server.url + side.readPath;
        const warm = workload === 'read' ? await load({ url, connections: options.connections, duration: options.warmup }) : undefined;
        // Both apps (the idle one's background work is this benchmark's too), the receiver, both databases' backends.
        const pids = [off.server.pid, on.server.pid, receiver.pid, ...(await backends(off)), ...(await backends(on))];
        const mine = cpuMsOf(pids).ms;
        const self = process.cpuUsage();
        const machine = machineMs();
        const serverBefore = cpuMs(side.server.pid);
        const started = performance.now();
        const result = workload === 'read' ? await load({ url, connections: options.connections, duration: options.secs }) : await postOrders(side, customer, options.secs);
        const windowEnd = performance.now();
        const settled = workload === 'orders' ? (await waitSettled(side.db, customer, options.drainTimeoutMs)).counts : undefined;
        const ms = performance.now() - started;
        const serverAfter = cpuMs(side.server.pid);
        const selfUsage = process.cpuUsage(self);
        const selfMs = (selfUsage.user + selfUsage.system) / 1000;
        // Backends that came and went during the window are missed; the apps' pools keep their connections.
        const machineAfter = machineMs();
        const othersMs = machineAfter.busy - machine.busy - (cpuMsOf(pids).ms - mine) - selfMs;
        if (side === on) expected += perUnit * (settled ? settled.total : (warm?.ok ?? 0) + (warm?.failed ?? 0) + result.ok + result.failed);
        const units = settled ? settled.total : result.ok;
        let orders: OrderOutcome | undefined;
        if (settled) {
          const first = settled.first?.getTime() ?? NaN;
          const last = settled.last?.getTime() ?? NaN;
          const drainSecs = (ms - (windowEnd - started)) / 1000;
          orders = {
            placed: settled.total,
            confirmed: settled.confirmed,
            cancelled: settled.cancelled,
            pending: settled.pending,
            completedPerSec: ((settled.confirmed + settled.cancelled) * 1000) / (last - first),
            drainSecs,
          };
          if (settled.pending > 0) throw new Error(`${settled.pending} orders of the tracing-${side.label} app's window did not settle within ${options.drainTimeoutMs / 1000} s`);
        }
        return {
          result,
          serverUs: serverBefore === undefined || serverAfter === undefined || units === 0 ? NaN : ((serverAfter - serverBefore) * 1000) / units,
          othersCores: Math.max(0, othersMs) / ms,
          stealCores: (machineAfter.steal - machine.steal) / ms,
          load1: os.loadavg()[0]!,
          ...(orders ? { orders } : {}),
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
          completionOverhead: onWindow.orders && offWindow.orders ? 1 - onWindow.orders.completedPerSec / offWindow.orders.completedPerSec : NaN,
          cpuOverhead: onWindow.serverUs / offWindow.serverUs - 1,
        };
        pairs.push(pair);
        say(
          `${workload} pair ${i + 1}/${options.pairs} (${order}): off ${f0(offWindow.result.rps)} req/s, on ${f0(onWindow.result.rps)} req/s, overhead ${f1(pair.overhead * 100)}%` +
            (offWindow.orders && onWindow.orders
              ? `; completed ${f0(offWindow.orders.completedPerSec)} -> ${f0(onWindow.orders.completedPerSec)} orders/s (${f1(pair.completionOverhead * 100)}%)`
              : '') +
            `; CPU/${workload === 'read' ? 'req' : 'order'} ${f0(offWindow.serverUs)} -> ${f0(onWindow.serverUs)} us, load ${offWindow.load1.toFixed(2)}` +
            (offWindow.result.failed + onWindow.result.failed ? `; FAILED off ${JSON.stringify(offWindow.result.statuses)} on ${JSON.stringify(onWindow.result.statuses)}` : ''),
        );
      }
      const target = TARGETS[workload];
      const verdict = (label: string, values: number[]): Verdict => ({
        label,
        target,
        overhead: median(values),
        spread: { min: Math.min(...values), max: Math.max(...values) },
        met: median(values) <= target,
      });
      const verdicts = [verdict(workload === 'read' ? 'product read, req/s' : 'place order, POST /orders req/s', pairs.map((p) => p.overhead))];
      if (workload === 'orders') verdicts.push(verdict('order to confirmed, completed orders/s', pairs.map((p) => p.completionOverhead)));
      results.push({ workload, pairs, verdicts, spansPerUnit: perUnit, spanNames: names });
    }

    const received = await settledSpans(receiver);
    const final = await receiverStats(receiver);
    const result: TracingResult = {
      workloads: results,
      spans: { received, expected, checked: final.countChecked, serviceNames: final.serviceNames, batches: final.traceBatches, bytes: final.bytes, rejected: final.rejected },
    };
    report(options, result);
    return result;
  } finally {
    await Promise.all(sides.map((side) => side.db.end().catch(() => undefined)));
    await Promise.all(sides.map((side) => side.server.stop()));
    await receiver.stop();
  }
}

function report(options: TracingOptions, result: TracingResult): void {
  const pct = (x: number) => `${f1(x * 100)}%`;
  console.log(
    `\nTracing overhead: ${options.connections} connections, ${options.pairs} pairs of ${options.secs} s windows per workload, ABBA order; each app on a database of its own\n` +
      `  on:  --import src/telemetry.ts, always_on sampling, BatchSpanProcessor -> OTLP/HTTP -> receiver on 127.0.0.1` +
      `${Object.keys(options.onEnv).length ? `, with ${JSON.stringify(options.onEnv)}` : ''}\n` +
      `  off: ${options.off === 'disabled' ? '--import src/telemetry.ts with OTEL_SDK_DISABLED=true' : 'no --import (no SDK, no loader hook)'}; both export metrics to the receiver`,
  );
  for (const { workload, pairs, spansPerUnit, spanNames } of result.workloads) {
    const failed = pairs.reduce((n, p) => n + p.off.result.failed + p.on.result.failed, 0);
    if (workload === 'read') {
      console.log(`\nGET /catalog/products/:id, each window after ${options.warmup} s warm-up; server CPU per request`);
    } else {
      console.log(
        `\nPOST /orders (customer token, 1 line, quantity 1, ${options.orderProducts} products with ample stock), each window's orders settled before the next window;` +
          ` completed/s = settled orders / (first placed -> last settled); server CPU per order from the window's start until its orders settled`,
      );
    }
    const orderColumns = (w: Window) => (w.orders ? [f0(w.orders.completedPerSec), f1(w.orders.drainSecs), `${w.orders.confirmed}/${w.orders.cancelled}`] : []);
    console.log(
      table(
        [
          'pair',
          'order',
          'off req/s',
          'on req/s',
          'overhead',
          ...(workload === 'orders' ? ['off done/s', 'on done/s', 'done/s overhead', 'drain s off / on', 'confirmed/cancelled off / on'] : []),
          `off CPU us/${workload === 'read' ? 'req' : 'order'}`,
          `on CPU us/${workload === 'read' ? 'req' : 'order'}`,
          'CPU +',
          'off p99 ms',
          'on p99 ms',
          'others, cores',
          'steal, cores',
          'load 1m',
        ],
        pairs.map((p, i) => {
          const [offOrders, onOrders] = [orderColumns(p.off), orderColumns(p.on)];
          return [
            String(i + 1),
            p.order,
            f0(p.off.result.rps),
            f0(p.on.result.rps),
            pct(p.overhead),
            ...(workload === 'orders' ? [offOrders[0]!, onOrders[0]!, pct(p.completionOverhead), `${offOrders[1]} / ${onOrders[1]}`, `${offOrders[2]} / ${onOrders[2]}`] : []),
            f0(p.off.serverUs),
            f0(p.on.serverUs),
            pct(p.cpuOverhead),
            f1(p.off.result.p99),
            f1(p.on.result.p99),
            `${p.off.othersCores.toFixed(2)} / ${p.on.othersCores.toFixed(2)}`,
            `${p.off.stealCores.toFixed(2)} / ${p.on.stealCores.toFixed(2)}`,
            `${p.off.load1.toFixed(2)} / ${p.on.load1.toFixed(2)}`,
          ];
        }),
      ),
    );
    console.log(
      `  ${f1(spansPerUnit)} spans per ${workload === 'read' ? 'read' : 'order, handlers included'}: ${Object.entries(spanNames).map(([name, n]) => `${name} x${n}`).join(', ')}` +
        `${failed ? `\n  ${failed} requests FAILED` : ''}`,
    );
    console.log(`  server CPU per ${workload === 'read' ? 'request' : 'order'}, median of pairs: +${pct(median(pairs.map((p) => p.cpuOverhead)))}`);
  }
  console.log(
    `\n  "others, cores": CPU used during the window by processes other than the servers, their database backends, the receiver and this benchmark (off / on window); steal: taken by the hypervisor`,
  );
  const delivered = result.spans.received / result.spans.expected;
  console.log(
    `  spans: the receiver got ${f0(result.spans.received)} of ${f0(result.spans.expected)} expected (${pct(delivered)}) ` +
      `in ${result.spans.batches} batches, ${f0(result.spans.bytes / 2 ** 20)} MiB, service.name ${result.spans.serviceNames.join(', ') || 'none'}, ` +
      `count ${result.spans.checked ? 'checked against decoded batches' : 'NOT checked'}${result.spans.rejected ? `, ${result.spans.rejected} requests rejected` : ''}`,
  );
  if (delivered < 0.99) console.log(`  WARNING: ${pct(1 - delivered)} of the spans never reached the receiver (dropped by the batch processor's full queue, or lost)`);
  for (const { pairs, verdicts } of result.workloads) {
    for (const v of verdicts) {
      console.log(`  ${v.label}: median of ${pairs.length} pairs, spread ${pct(v.spread.min)} to ${pct(v.spread.max)}`);
      console.log(`tracing overhead (${v.label}): ${pct(v.overhead)} (target <= ${f0(v.target * 100)}%): ${v.met ? 'met' : 'missed'}`);
    }
  }
}
