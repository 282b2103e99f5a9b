// The order phase of `npm run bench:topology`: how long an order takes from POST /orders until it is confirmed,
// (a) with the whole shop in one process (MODULES=all, started as `npm start` starts it) and (b) split as the split
// topology test runs it (test/support/split-topology.ts): payments (on a database of its own) and inventory in
// processes of their own, catalog, ordering and order-history in a third, events between them over a NATS JetStream
// server of the benchmark's own. Both run at the same time, on databases of their own.
//
// POST /orders itself is the same work in both: ordering and the catalog it calls share a process in both topologies.
// What differs is the saga after it: OrderPlaced -> inventory, StockReserved -> ordering, PaymentRequested -> payments,
// PaymentCaptured -> ordering, each in process in (a) and each a relay -> stream -> receiver -> inbox hop in (b).
//
// The end signal (SIGNAL=notify, the default) is the commit itself: a trigger that the benchmark adds to
// ordering.orders once the apps are up sends a NOTIFY with the order's id and new status, which PostgreSQL delivers
// when the confirming transaction commits; from that moment GET /orders/:id says confirmed. That costs the apps one
// pg_notify per status change and no polling load, and has no poll interval in the figure. Each order is then read
// once through GET /orders/:id (not timed), which must say confirmed. SIGNAL=poll instead times GET /orders/:id every
// POLL_MS until it leaves pending, the way a client would learn it.
//
// Sequential, one order in flight across both topologies: an order's latency is the system's, not a queue's. A fixed
// rate on a shared, busy machine would let slow spells pile orders up and measure queueing. Orders alternate between
// the topologies in ABBA pairs, so a neighbour's burst lands on both. Bounded by ORDERS per topology and MAX_SECS.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startSeams, type RunningSeams } from '../test/process/seams-process.ts';
import { natsServerBinary, OwnNatsServer } from '../test/support/nats-server.ts';
import { httpShopClient, signToken, type ShopClient } from '../test/support/shop-client.ts';
import { SPLIT_JWT_SECRET, startSplitTopology } from '../test/support/split-topology.ts';
import { deferStop } from './support/cleanup.ts';
import type { BenchServer } from './support/server.ts';
import { summarize, type LatencySummary } from './topology-rpc.ts';

export type EndSignal = 'notify' | 'poll';

export interface OrdersBenchOptions {
  /** Where the three databases (one process; split: main and payments) are made and dropped. */
  readonly server: BenchServer;
  /** Orders measured per topology. */
  readonly orders: number;
  /** Orders per topology before measuring (the JIT, the pools, the NATS consumers). */
  readonly warmup: number;
  /** Lines per order, one product each, quantity 1. */
  readonly lines: number;
  readonly signal: EndSignal;
  /** With SIGNAL=poll: the pause between two GET /orders/:id. */
  readonly pollMs: number;
  /** Measuring stops after this long (warm-up included), with what was measured so far. */
  readonly maxSecs: number;
  /** An order not confirmed within this long fails the run. */
  readonly orderTimeoutMs: number;
  /** Settings for every app process of both topologies (e.g. EVENTS_POLL_INTERVAL_MS), over the benchmark's own (DB_POOL_MAX=4). */
  readonly appEnv: Record<string, string>;
  /** Progress lines. */
  readonly say: (line: string) => void;
}

export interface TopologyOrders {
  /** POST /orders sent -> confirmed (see `signal`). */
  readonly placedToConfirmed: LatencySummary;
  /** POST /orders sent -> its 202 received. */
  readonly post: LatencySummary;
  /** Every placed -> confirmed time, in the order measured (for JSON_OUT). */
  readonly samplesMs: readonly number[];
}

export type OrdersBenchResult =
  | { readonly skipped: string }
  | {
      readonly skipped?: undefined;
      readonly signal: EndSignal;
      readonly oneProcess: TopologyOrders;
      readonly split: TopologyOrders;
      /** split / oneProcess, placed -> confirmed. */
      readonly ratio: { readonly p50: number; readonly p99: number; readonly mean: number };
      /** True when MAX_SECS ended the run before ORDERS per topology. */
      readonly truncated: boolean;
      readonly seconds: number;
    };

const CHANNEL = 'seams_bench_order_status';

/** A trigger on the ordering module's table, added by the benchmark (as superuser) to its throw-away databases only. */
const NOTIFY_SQL = `
  create function public.seams_bench_order_status() returns trigger language plpgsql as $$
  begin
    perform pg_notify('${CHANNEL}', new.id::text || ' ' || new.status);
    return null;
  end $$;
  create trigger seams_bench_order_status after update of status on ordering.orders
    for each row when (old.status is distinct from new.status) execute function public.seams_bench_order_status();`;

/** One topology as the benchmark drives it: the shop's HTTP API, and the database ordering writes to. */
interface Target {
  readonly name: string;
  readonly client: ShopClient;
  readonly orderingDatabase: string;
  /** Its processes, whose error log lines a failure quotes. */
  readonly processes: readonly RunningSeams[];
}

export async function benchOrders(options: OrdersBenchOptions): Promise<OrdersBenchResult> {
  const binary = natsServerBinary();
  if (!binary) return { skipped: 'nats-server is not on PATH (the split topology needs a NATS JetStream server of its own)' };
  const { server, say } = options;

  say('orders: starting nats-server and three databases');
  const nats = await OwnNatsServer.start(binary);
  const stopNats = deferStop('nats-server', () => nats.stop());
  const stops: Array<() => Promise<void>> = [stopNats];
  try {
    const [single, main, payments] = await Promise.all([server.freshDatabase(), server.freshDatabase(), server.freshDatabase()]);
    stops.push(...[single, main, payments].map((database) => deferStop(`database ${database.name}`, () => database.drop())));

    // The server is shared (max_connections) and one order in flight needs a few connections per module, not the
    // default ten: a smaller pool in every process of both topologies keeps the run from starving its neighbours.
    // Orders as fast as the shop takes them, from one customer: no rate limit.
    const appEnv = { DB_POOL_MAX: '4', RATE_LIMIT_PER_MINUTE: '0', ...options.appEnv };
    say(`orders: starting the one-process shop and the split topology (four processes; ${Object.entries(appEnv).map(([name, value]) => `${name}=${value}`).join(' ')})`);
    const [oneProcess, split] = await Promise.allSettled([
      startSeams({ DATABASE_URL: single.url, JWT_SECRET: SPLIT_JWT_SECRET, MODULES: 'all', OTEL_SDK_DISABLED: 'true', ...appEnv }),
      startSplitTopology({ natsUrl: nats.url, databases: { main: main.url, payments: payments.url }, env: appEnv }),
    ]);
    if (oneProcess.status === 'fulfilled') stops.push(deferStop('the one-process shop', () => stopSeams(oneProcess.value)));
    if (split.status === 'fulfilled') stops.push(deferStop('the split topology', () => split.value.stop()));
    if (oneProcess.status === 'rejected') throw oneProcess.reason;
    if (split.status === 'rejected') throw split.reason;

    const targets: [Target, Target] = [
      { name: 'one process', client: httpShopClient({ jwtSecret: SPLIT_JWT_SECRET, route: () => oneProcess.value.url }), orderingDatabase: single.url, processes: [oneProcess.value] },
      { name: 'split', client: split.value.client, orderingDatabase: main.url, processes: Object.values(split.value.processes) },
    ];
    const stock = options.warmup + options.orders;
    const drivers: OrderDriver[] = [];
    for (const target of targets) {
      const driver = await OrderDriver.start(target, options, stock);
      stops.push(deferStop(`the ${target.name} listener`, () => driver.close()));
      drivers.push(driver);
    }

    const started = performance.now();
    const deadline = started + options.maxSecs * 1000;
    const samples = drivers.map(() => ({ total: [] as number[], post: [] as number[] }));
    let truncated = false;
    say(`orders: ${options.warmup} warm-up orders per topology`);
    for (let i = 0; i < options.warmup + options.orders; i++) {
      if (i === options.warmup) say(`orders: measuring ${options.orders} orders per topology`);
      if (performance.now() > deadline) {
        truncated = true;
        say(`orders: MAX_SECS (${options.maxSecs}) reached after ${Math.max(0, i - options.warmup)} measured orders per topology`);
        break;
      }
      // ABBA: which topology goes first flips with every pair.
      for (const side of i % 2 === 0 ? [0, 1] : [1, 0]) {
        const timed = await drivers[side]!.placeAndAwait();
        if (i >= options.warmup) {
          samples[side]!.total.push(timed.totalMs);
          samples[side]!.post.push(timed.postMs);
        }
      }
    }
    const seconds = (performance.now() - started) / 1000;
    if (samples[0]!.total.length === 0) throw new Error(`no order measured within MAX_SECS=${options.maxSecs} (warm-up included): raise MAX_SECS or lower ORDER_WARMUP`);
    const [a, b] = samples.map((s) => ({ placedToConfirmed: summarize(s.total), post: summarize(s.post), samplesMs: s.total.map((ms) => Math.round(ms * 100) / 100) })) as [TopologyOrders, TopologyOrders];
    return {
      signal: options.signal,
      oneProcess: a,
      split: b,
      ratio: {
        p50: b.placedToConfirmed.p50Ms / a.placedToConfirmed.p50Ms,
        p99: b.placedToConfirmed.p99Ms / a.placedToConfirmed.p99Ms,
        mean: b.placedToConfirmed.meanMs / a.placedToConfirmed.meanMs,
      },
      truncated,
      seconds,
    };
  } finally {
    say('orders: stopping');
    // Newest first: listeners, processes, then the databases and NATS they used.
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => console.error(`bench: ${error instanceof Error ? error.message : String(error)}`));
  }
}

async function stopSeams(seams: RunningSeams): Promise<void> {
  if (seams.child.exitCode === null && seams.child.signalCode === null) seams.child.kill('SIGTERM');
  await seams.exited;
}

/** Places orders in one topology, one at a time, and tells when each is confirmed. */
class OrderDriver {
  readonly target: Target;
  readonly #options: OrdersBenchOptions;
  readonly #listener: pg.Client;
  readonly #productIds: string[];
  readonly #customer: Record<string, string>;
  /** NOTIFYs not yet claimed (one can arrive before its POST has answered), and the order being waited for. */
  readonly #heard = new Map<string, { status: string; at: number }>();
  #waiting: { id: string; wake: () => void; fail: (error: Error) => void } | undefined;
  #lost: Error | undefined;

  private constructor(target: Target, options: OrdersBenchOptions, listener: pg.Client, productIds: string[]) {
    this.target = target;
    this.#options = options;
    this.#listener = listener;
    this.#productIds = productIds;
    this.#customer = { authorization: `Bearer ${signToken({ sub: `bench-customer-${target.name.replace(/\W/g, '-')}`, roles: [] }, SPLIT_JWT_SECRET)}` };
    // A lost connection (the server restarted, or ended it) fails the order being waited for instead of the process.
    listener.on('error', (error) => {
      this.#lost = error;
      this.#waiting?.fail(failure(target, `the NOTIFY listener's connection failed: ${error.message}`));
    });
    listener.on('notification', (message) => {
      const at = performance.now();
      const [id, status] = (message.payload ?? '').split(' ');
      if (!id || !status) return;
      this.#heard.set(id, { status, at });
      if (this.#waiting?.id === id) this.#waiting.wake();
    });
  }

  /** Products with `stock` units each, and (SIGNAL=notify) the trigger and a connection that listens to it. */
  static async start(target: Target, options: OrdersBenchOptions, stock: number): Promise<OrderDriver> {
    const admin = { authorization: `Bearer ${signToken({ sub: 'bench-admin', roles: ['admin'] }, SPLIT_JWT_SECRET)}` };
    const productIds: string[] = [];
    for (let i = 0; i < options.lines; i++) {
      const created = await target.client.inject({
        method: 'POST',
        url: '/catalog/products',
        headers: admin,
        payload: { sku: `BENCH-ORDER-${i}`, name: `Order bench ${i}`, priceCents: 500 + i, currency: 'EUR' },
      });
      if (created.statusCode !== 201) throw failure(target, `creating a product failed: ${created.statusCode} ${created.body}`);
      const { id } = created.json<{ id: string }>();
      const stocked = await target.client.inject({ method: 'PUT', url: `/inventory/items/${id}`, headers: admin, payload: { onHand: stock } });
      if (stocked.statusCode !== 200 && stocked.statusCode !== 201) throw failure(target, `setting stock failed: ${stocked.statusCode} ${stocked.body}`);
      productIds.push(id);
    }
    const listener = new pg.Client({ connectionString: target.orderingDatabase, application_name: 'seams-bench-listener' });
    // Until the driver's own handler is on (the constructor), a connection error is the failed query's to report.
    listener.on('error', () => undefined);
    await listener.connect();
    try {
      if (options.signal === 'notify') {
        await listener.query(NOTIFY_SQL);
        await listener.query(`listen ${CHANNEL}`);
      }
    } catch (error) {
      await listener.end();
      throw error;
    }
    return new OrderDriver(target, options, listener, productIds);
  }

  /** One order, placed and awaited until confirmed; anything else fails the run, naming the order and what it saw. */
  async placeAndAwait(): Promise<{ totalMs: number; postMs: number }> {
    const payload = { lines: this.#productIds.map((productId) => ({ productId, quantity: 1 })) };
    const started = performance.now();
    const placed = await this.target.client.inject({ method: 'POST', url: '/orders', headers: this.#customer, payload });
    const postMs = performance.now() - started;
    if (placed.statusCode !== 202) throw failure(this.target, `POST /orders answered ${placed.statusCode}: ${placed.body}`);
    const { id } = placed.json<{ id: string }>();
    const end = this.#options.signal === 'notify' ? await this.#heardOf(id) : await this.#polled(id);
    if (this.#options.signal === 'notify') {
      // The commit is the signal; the API must agree with it.
      const read = await this.#get(id);
      if (read.status !== end.status) throw failure(this.target, `order ${id}: the commit said ${end.status}, GET /orders/${id} says ${read.status}`);
    }
    if (end.status !== 'confirmed') {
      throw failure(this.target, `order ${id} ended ${end.status}${end.reason ? ` (${end.reason})` : ''}, not confirmed: is there enough stock (ORDERS + ORDER_WARMUP per product)?`);
    }
    return { totalMs: end.at - started, postMs };
  }

  async #heardOf(id: string): Promise<{ status: string; at: number; reason?: string }> {
    if (!this.#heard.has(id)) {
      let timer: NodeJS.Timeout | undefined;
      if (this.#lost) throw failure(this.target, `the NOTIFY listener's connection failed: ${this.#lost.message}`);
      await new Promise<void>((resolve, reject) => {
        this.#waiting = { id, wake: resolve, fail: reject };
        timer = setTimeout(() => reject(failure(this.target, `order ${id} not confirmed within ${this.#options.orderTimeoutMs} ms (no NOTIFY from ordering.orders)`)), this.#options.orderTimeoutMs);
      }).finally(() => {
        clearTimeout(timer);
        this.#waiting = undefined;
      });
    }
    const heard = this.#heard.get(id)!;
    this.#heard.delete(id);
    return heard;
  }

  async #polled(id: string): Promise<{ status: string; at: number; reason?: string }> {
    const deadline = performance.now() + this.#options.orderTimeoutMs;
    for (;;) {
      const order = await this.#get(id);
      const at = performance.now();
      if (order.status !== 'pending') return { status: order.status, at, ...(order.cancellationReason ? { reason: order.cancellationReason } : {}) };
      if (at > deadline) throw failure(this.target, `order ${id} still pending after ${this.#options.orderTimeoutMs} ms`);
      await sleep(this.#options.pollMs);
    }
  }

  async #get(id: string): Promise<{ status: string; cancellationReason?: string }> {
    const response = await this.target.client.inject({ method: 'GET', url: `/orders/${id}`, headers: this.#customer });
    if (response.statusCode !== 200) throw failure(this.target, `GET /orders/${id} answered ${response.statusCode}: ${response.body}`);
    return response.json();
  }

  async close(): Promise<void> {
    await this.#listener.end();
  }
}

/** An error about a topology, with the last error lines its processes logged (what a 500 or a stuck order was). */
function failure(target: Target, message: string): Error {
  const logged = target.processes.flatMap((seams) => seams.lines.filter((line) => (line.level ?? 0) >= 50).map((line) => `  pid ${seams.pid}: ${JSON.stringify(line)}`));
  return new Error(`${target.name}: ${message}${logged.length > 0 ? `\nlast errors its processes logged:\n${logged.slice(-5).join('\n')}` : ''}`);
}
