// Event-bus benchmark: `npm run bench:events`. Mirrors the peer harness (../shared/bench/events-peer.mjs) so that its
// ratios to the raw INSERT rate can be set side by side with the peers' (DESIGN.md, "Measured anchors for the event
// bus"): producers publish 1 event per transaction, the subscriber's handler does nothing, so the work per delivered
// event is the platform's own inbox INSERT (the peer's "one inbox INSERT per message"), cursor and commit.
//
// Phases per run, each on a fresh database (dropped afterwards), each with a fresh app built by buildApp():
//   baseline  raw single-row INSERT of N rows into a plain outbox table (the peer's DDL), PRODUCERS clients, 1 row
//             per transaction, nothing consuming: the machine's commit rate, the denominator of every ratio
//   publish   N events published through the platform (publisher + module pool) with no subscriber: the producer
//             side's own ceiling
//   tp1/tp3   N events from PRODUCERS closed-loop producers while 1 (3) subscribers run; end to end = first publish
//             -> last inbox row committed (every subscriber)
//   lat       open loop at each of RATES events/s for 1 s warm-up + RATE_SECS s, 1 subscriber; publish-to-handle
//             latency = handler start - timestamp taken before the producing transaction began (as the peer does)
//   drain1/3  N events committed in one transaction before the bus starts; rate = N / (first handler start -> last
//             inbox row committed), also shown from bus start
// Producers run in the app's process, as publishers do in a monolith: a commit wakes the local workers directly.
//
// Env: DATABASE_URL (a server where we may create databases; unset: embedded PostgreSQL in .data/bench-postgres)
//      RUNS (1) N (20000) PRODUCERS (8) RATES (200,1000) RATE_SECS (10) PAYLOAD_BYTES (300)
//      PHASES (baseline,publish,tp1,tp3,lat,drain1,drain3) TIMEOUT_SECS (120, per wait) MAX_SECS (900, whole run)
//      JSON_OUT (file for every per-run number) PROFILE=1 (time per SQL statement shape, per phase)
//      BENCH_LOG_LEVEL (silent); EVENTS_BATCH_SIZE, EVENTS_POLL_INTERVAL_MS and DB_POOL_MAX are passed to the app.
// Each per-run line also shows this process's CPU per event and how busy the whole machine was during the phase:
// on a shared machine, a phase that ran next to other work measures the neighbours as much as the code.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '#platform/config.ts';
import { createLogger } from '#platform/logger.ts';
import { ident } from '#platform/db/provision.ts';
import { schemaName } from '#platform/db/database-names.ts';
import type { Publisher } from '#platform/events/publisher.ts';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import { benchModules, makeMessage, OrderPlaced, PRODUCER, sinkName, type OnHandle } from './support/bench-modules.ts';
import { describeServer, openServer, type BenchDatabase, type BenchServer } from './support/server.ts';
import { f0, f1, f2, median, percentile, table } from './support/stats.ts';
import { installQueryProfile, reportQueryProfile } from './support/query-profile.ts';
import { openCpuWindow, postmasterIn, watchServerCpu, type CpuWindow } from './support/cpu.ts';

const env = (name: string, fallback: string) => (process.env[name] === undefined || process.env[name] === '' ? fallback : process.env[name]!);
const CFG = {
  runs: Number(env('RUNS', '1')),
  n: Number(env('N', '20000')),
  producers: Number(env('PRODUCERS', '8')),
  rates: env('RATES', '200,1000').split(',').map(Number).filter((x) => x > 0),
  rateSecs: Number(env('RATE_SECS', '10')),
  warmupSecs: 1,
  payloadBytes: Number(env('PAYLOAD_BYTES', '300')),
  timeoutMs: Number(env('TIMEOUT_SECS', '120')) * 1000,
  maxSecs: Number(env('MAX_SECS', '900')),
  phases: new Set(env('PHASES', 'baseline,publish,tp1,tp3,lat,drain1,drain3').split(',').map((p) => p.trim())),
};
/** Settings handed to the app's config, so they can be varied from the command line. */
const PASSTHROUGH = ['EVENTS_BATCH_SIZE', 'EVENTS_POLL_INTERVAL_MS', 'DB_POOL_MAX'] as const;

const now = () => performance.now();
const logLevel = (process.env.BENCH_LOG_LEVEL ?? 'silent') as 'silent';
const logger = createLogger(logLevel);

// ---------------------------------------------------------------------------------------------- the app under test

interface BenchApp {
  readonly app: ModuleRouter;
  readonly db: Kysely<unknown>;
  readonly events: Publisher;
}

let openApp: ModuleRouter | undefined;

async function buildBenchApp(database: BenchDatabase, subscribers: number, onHandle: OnHandle): Promise<BenchApp> {
  const { modules } = benchModules(subscribers, onHandle);
  // A fixed secret: the app refuses to start without one when it is not on its embedded database; nothing here signs tokens.
  const settings: Record<string, string> = { LOG_LEVEL: logLevel, JWT_SECRET: 'bench-secret-not-used-for-anything-real' };
  for (const name of PASSTHROUGH) if (process.env[name]) settings[name] = process.env[name]!;
  const config = loadConfig(settings, modules.map((module) => module.name));
  const app = await buildApp({ config, logger, modules, databaseUrl: database.url });
  openApp = app;
  return { app, db: app.diContainer.resolve(`${PRODUCER}/db`), events: app.diContainer.resolve(`${PRODUCER}/events`) };
}

async function closeApp(app: ModuleRouter): Promise<void> {
  await app.close();
  if (openApp === app) openApp = undefined;
}

/** Counts handler calls per subscriber, notes the first handler start and (subscriber 0) each event's latency. */
class Deliveries {
  readonly counts: number[];
  readonly latency: Float64Array;
  firstAt: number | undefined;
  #expected: number;
  #done: (() => void) | undefined;
  readonly #all: Promise<void>;

  constructor(subscribers: number, expected: number) {
    this.counts = Array.from({ length: subscribers }, () => 0);
    this.#lastByKey = Array.from({ length: subscribers }, () => new Map());
    this.latency = new Float64Array(expected).fill(NaN);
    this.#expected = expected;
    this.#all = new Promise((resolve) => (this.#done = resolve));
  }

  /** Per subscriber and key, the last message id handled: a smaller id after a larger one breaks per-key order. */
  readonly #lastByKey: Map<string, number>[];
  outOfOrder = 0;

  readonly onHandle: OnHandle = (sink, event) => {
    const t = now();
    this.firstAt ??= t;
    const last = this.#lastByKey[sink]!.get(event.payload.key) ?? -1;
    if (event.payload.id < last) this.outOfOrder += 1;
    else this.#lastByKey[sink]!.set(event.payload.key, event.payload.id);
    if (sink === 0 && event.payload.id < this.latency.length && Number.isNaN(this.latency[event.payload.id]!)) {
      this.latency[event.payload.id] = t - event.payload.ts;
    }
    this.counts[sink]! += 1;
    if (this.counts.every((count) => count >= this.#expected)) this.#done?.();
  };

  /** Resolves once every subscriber's handler has seen `expected` events. */
  all(timeoutMs: number): Promise<void> {
    return withTimeout(this.#all, timeoutMs, () => `handlers saw ${this.counts.join('/')} of ${this.#expected}`);
  }

  /** Handler calls beyond one per event and subscriber (a redelivery, or a redone optimistic pass). */
  get duplicates(): number {
    return this.counts.reduce((sum, count) => sum + Math.max(0, count - this.#expected), 0);
  }
}

/**
 * After the handlers saw everything: polls every 5 ms (as the peer does) until every subscriber's inbox holds `n`
 * rows, i.e. the last batch committed. Returns the time it saw that.
 */
async function waitCommitted(database: BenchDatabase, subscribers: number, n: number, timeoutMs: number): Promise<number> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const counts = Array.from({ length: subscribers }, (_, i) => `(select count(*)::int from ${ident(schemaName(sinkName(i)))}.seams_inbox)`);
  const query = `select least(${counts.join(', ')}) as n`;
  const deadline = now() + timeoutMs;
  try {
    for (;;) {
      const { rows } = await client.query<{ n: number }>(query);
      const t = now();
      if (rows[0]!.n >= n) return t;
      if (t > deadline) throw new Error(`inboxes not complete: ${rows[0]!.n} of ${n}`);
      await sleep(5);
    }
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------- producers

type PublishOne = (i: number, ts: number) => Promise<unknown>;

function platformPublisher({ db, events }: BenchApp): PublishOne {
  return (i, ts) => db.transaction().execute((trx) => events.publish(trx, OrderPlaced, makeMessage(i, ts, CFG.payloadBytes)));
}

/** Closed loop: PRODUCERS concurrent producers, each one event per transaction, until N are done. */
async function produceClosed(publish: PublishOne, n: number): Promise<{ t0: number; t1: number }> {
  let next = 0;
  const t0 = now();
  await Promise.all(
    Array.from({ length: CFG.producers }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        await publish(i, now());
      }
    }),
  );
  return { t0, t1: now() };
}

/** Open loop: `rate` events/s for `total` events over at most PRODUCERS concurrent transactions (the peer's shape). */
async function produceOpen(publish: PublishOne, rate: number, total: number): Promise<{ schedulerLagMax: number }> {
  const interval = 1000 / rate;
  let free = CFG.producers;
  const waiting: Array<() => void> = [];
  const acquire = () => (free > 0 ? (free--, Promise.resolve()) : new Promise<void>((resolve) => waiting.push(resolve)));
  const release = () => (waiting.length > 0 ? waiting.shift()!() : free++);
  const inflight: Promise<void>[] = [];
  let schedulerLagMax = 0;
  const start = now() + 20;
  const send = async (i: number, scheduled: number) => {
    const ts = now();
    schedulerLagMax = Math.max(schedulerLagMax, ts - scheduled);
    await acquire();
    try {
      await publish(i, ts);
    } finally {
      release();
    }
  };
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = now();
      while (i < total && start + i * interval <= t) {
        inflight.push(send(i, start + i * interval));
        i++;
      }
      if (i < total) setTimeout(tick, Math.max(0, start + i * interval - now()));
      else resolve();
    };
    setTimeout(tick, 20);
  });
  await Promise.all(inflight);
  return { schedulerLagMax };
}

// ---------------------------------------------------------------------------------------------- phases

const PEER_OUTBOX_DDL = `
  create table outbox (id bigserial primary key, key text not null, payload jsonb not null, created_at timestamptz not null default now());
  create table inbox (consumer_id text not null, message_id bigint not null, received_at timestamptz not null default now(),
                      primary key (consumer_id, message_id));`;

/** The peer's baseline, statement for statement: BEGIN; INSERT one row; COMMIT, on PRODUCERS plain pg clients. */
async function phaseBaseline(server: BenchServer): Promise<{ rate: number; ms: number; cpu: CpuWindow }> {
  const database = await server.freshDatabase(PEER_OUTBOX_DDL);
  const clients = await Promise.all(
    Array.from({ length: CFG.producers }, async () => {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      return client;
    }),
  );
  try {
    // One client per producer, as in the peer's produceClosed.
    let next = 0;
    const closeCpu = openCpuWindow();
    const start = now();
    await Promise.all(
      clients.map(async (client) => {
        for (;;) {
          const i = next++;
          if (i >= CFG.n) return;
          const message = makeMessage(i, now(), CFG.payloadBytes);
          await client.query('begin');
          await client.query('insert into outbox (key, payload) values ($1, $2)', [message.key, JSON.stringify(message)]);
          await client.query('commit');
        }
      }),
    );
    const ms = now() - start;
    return { rate: (CFG.n / ms) * 1000, ms, cpu: closeCpu() };
  } finally {
    await Promise.all(clients.map((client) => client.end()));
    await database.drop();
  }
}

/** Publishing through the platform with no subscriber at all: the producer side's ceiling. */
async function phasePublish(server: BenchServer): Promise<{ rate: number; ms: number; cpu: CpuWindow }> {
  const database = await server.freshDatabase();
  const bench = await buildBenchApp(database, 0, () => undefined);
  try {
    await bench.app.ready();
    const closeCpu = openCpuWindow();
    const { t0, t1 } = await produceClosed(platformPublisher(bench), CFG.n);
    return { rate: (CFG.n / (t1 - t0)) * 1000, ms: t1 - t0, cpu: closeCpu() };
  } finally {
    await closeApp(bench.app);
    await database.drop();
  }
}

interface ThroughputResult {
  e2e: number;
  e2eMs: number;
  publishRate: number;
  tailMs: number;
  duplicates: number;
  cpu: CpuWindow;
}

async function phaseThroughput(server: BenchServer, subscribers: number): Promise<ThroughputResult> {
  const database = await server.freshDatabase();
  const deliveries = new Deliveries(subscribers, CFG.n);
  const bench = await buildBenchApp(database, subscribers, deliveries.onHandle);
  try {
    await bench.app.ready();
    const closeCpu = openCpuWindow();
    const { t0, t1 } = await produceClosed(platformPublisher(bench), CFG.n);
    await deliveries.all(CFG.timeoutMs);
    const t = await waitCommitted(database, subscribers, CFG.n, CFG.timeoutMs);
    const cpu = closeCpu();
    return { e2e: (CFG.n / (t - t0)) * 1000, e2eMs: t - t0, publishRate: (CFG.n / (t1 - t0)) * 1000, tailMs: t - t1, duplicates: deliveries.duplicates, cpu };
  } finally {
    await closeApp(bench.app);
    await database.drop();
  }
}

interface LatencyResult {
  rate: number;
  p50: number;
  p99: number;
  max: number;
  count: number;
  schedulerLagMax: number;
  cpu: CpuWindow;
}

async function phaseLatency(server: BenchServer, rate: number): Promise<LatencyResult> {
  const warm = Math.round(rate * CFG.warmupSecs);
  const total = warm + Math.round(rate * CFG.rateSecs);
  const database = await server.freshDatabase();
  const deliveries = new Deliveries(1, total);
  const bench = await buildBenchApp(database, 1, deliveries.onHandle);
  try {
    await bench.app.ready();
    await sleep(1000); // as the peer: let the subscriber settle into its idle wait before the load starts
    const closeCpu = openCpuWindow();
    const { schedulerLagMax } = await produceOpen(platformPublisher(bench), rate, total);
    await deliveries.all(CFG.timeoutMs);
    await waitCommitted(database, 1, total, CFG.timeoutMs);
    const cpu = closeCpu();
    // The first second of the stream warms connections and plans up and is not counted, as in the peer harness.
    const latencies = deliveries.latency.slice(warm).filter((x) => !Number.isNaN(x)).sort();
    return {
      rate,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1] ?? NaN,
      count: latencies.length,
      schedulerLagMax,
      cpu,
    };
  } finally {
    await closeApp(bench.app);
    await database.drop();
  }
}

interface DrainResult {
  rate: number;
  ms: number;
  fromStartRate: number;
  duplicates: number;
  /** Events handled after a later event of the same key (the backlog is one transaction in id order: must be 0). */
  outOfOrder: number;
  cpu: CpuWindow;
}

/**
 * A backlog of N events committed in one transaction before the bus starts (written straight into the producer's
 * outbox, as the peer's bulk enqueue does: publishing through the module's pool would wake the workers at once).
 */
async function phaseDrain(server: BenchServer, subscribers: number): Promise<DrainResult> {
  const database = await server.freshDatabase();
  const deliveries = new Deliveries(subscribers, CFG.n);
  const bench = await buildBenchApp(database, subscribers, deliveries.onHandle);
  try {
    const messages = Array.from({ length: CFG.n }, (_, i) => makeMessage(i, 0, CFG.payloadBytes));
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(
        `insert into ${ident(schemaName(PRODUCER))}.seams_outbox (id, name, version, key, payload, trace)
         select gen_random_uuid(), $2, $3, e->>'key', e, 'null'::jsonb from jsonb_array_elements($1::jsonb) e`,
        [JSON.stringify(messages), OrderPlaced.name, OrderPlaced.version],
      );
    } finally {
      await client.end();
    }
    const closeCpu = openCpuWindow();
    const started = now();
    await bench.app.ready(); // starts the bus
    await deliveries.all(CFG.timeoutMs);
    const t = await waitCommitted(database, subscribers, CFG.n, CFG.timeoutMs);
    const cpu = closeCpu();
    const first = deliveries.firstAt ?? started;
    return { rate: (CFG.n / (t - first)) * 1000, ms: t - first, fromStartRate: (CFG.n / (t - started)) * 1000, duplicates: deliveries.duplicates, outOfOrder: deliveries.outOfOrder, cpu };
  } finally {
    await closeApp(bench.app);
    await database.drop();
  }
}

// ---------------------------------------------------------------------------------------------- orchestration

interface RunResult {
  baseline?: { rate: number; ms: number; cpu: CpuWindow };
  publish?: { rate: number; ms: number; cpu: CpuWindow };
  tp1?: ThroughputResult;
  tp3?: ThroughputResult;
  lat: Record<number, LatencyResult>;
  drain1?: DrainResult;
  drain3?: DrainResult;
}

async function attempt<T>(label: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    console.log(`  ${label} FAILED: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  } finally {
    reportQueryProfile(label);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main(): Promise<void> {
  if (process.env.PROFILE === '1') installQueryProfile();
  const server = await openServer(process.env.DATABASE_URL, logger);
  let interrupted = false;
  const bail = async (why: string, code: number) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`bench:events: ${why}; cleaning up`);
    await openApp?.close().catch(() => undefined);
    await server.close().catch(() => undefined);
    process.exit(code);
  };
  process.once('SIGINT', () => void bail('interrupted', 130));
  process.once('SIGTERM', () => void bail('terminated', 143));
  setTimeout(() => void bail(`still running after MAX_SECS=${CFG.maxSecs}`, 2), CFG.maxSecs * 1000).unref();

  try {
    const facts = await describeServer(server.url);
    watchServerCpu(postmasterIn(facts.dataDirectory));
    const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
    console.log(
      `bench:events: node ${process.version}, PostgreSQL ${facts.version} (fsync=${facts.fsync}, synchronous_commit=${facts.synchronousCommit})` +
        `${server.embedded ? ', embedded (.data/bench-postgres)' : ', DATABASE_URL server'}; ${os.cpus().length} x ${cpu}`,
    );
    const passed = PASSTHROUGH.filter((name) => process.env[name]).map((name) => `${name}=${process.env[name]}`);
    console.log(
      `config: runs=${CFG.runs} N=${CFG.n} producers=${CFG.producers} payload~${CFG.payloadBytes}B rates=${CFG.rates.join(',')}/s x ${CFG.rateSecs}s ` +
        `after ${CFG.warmupSecs}s warm-up; phases=${[...CFG.phases].join(',')}${passed.length ? `; ${passed.join(' ')}` : ''}`,
    );
    const runs: RunResult[] = [];
    const has = (phase: string) => CFG.phases.has(phase);
    for (let r = 1; r <= CFG.runs; r++) {
      const run: RunResult = { lat: {} };
      runs.push(run);
      if (has('baseline')) {
        run.baseline = await attempt('baseline', () => phaseBaseline(server));
        console.log(`run ${r} baseline raw INSERT: ${f0(run.baseline?.rate)} rows/s (${f0(run.baseline?.ms)} ms; ${cpuNote(run.baseline?.cpu, CFG.n)})`);
      }
      if (has('publish')) {
        run.publish = await attempt('publish', () => phasePublish(server));
        console.log(`run ${r} publish only (no subscriber): ${f0(run.publish?.rate)} events/s (${cpuNote(run.publish?.cpu, CFG.n)})`);
      }
      for (const [phase, subscribers] of [['tp1', 1], ['tp3', 3]] as const) {
        if (!has(phase)) continue;
        const result = await attempt(phase, () => phaseThroughput(server, subscribers));
        run[phase] = result;
        console.log(
          `run ${r} end to end, ${subscribers} subscriber(s): ${f0(result?.e2e)} events/s (${f0(result?.e2eMs)} ms, tail after last publish ` +
            `${f0(result?.tailMs)} ms, publish ${f0(result?.publishRate)}/s, duplicates ${result?.duplicates ?? 'n/a'}; ${cpuNote(result?.cpu, CFG.n)})`,
        );
      }
      if (has('lat')) {
        for (const rate of CFG.rates) {
          const result = await attempt(`latency ${rate}/s`, () => phaseLatency(server, rate));
          if (result) run.lat[rate] = result;
          console.log(
            `run ${r} latency at ${rate}/s: p50 ${f1(result?.p50)} p99 ${f1(result?.p99)} max ${f1(result?.max)} ms ` +
              `(n=${result?.count ?? 'n/a'}, producer scheduling lag max ${f1(result?.schedulerLagMax)} ms; ${cpuNote(result?.cpu, result?.count)})`,
          );
        }
      }
      for (const [phase, subscribers] of [['drain1', 1], ['drain3', 3]] as const) {
        if (!has(phase)) continue;
        const result = await attempt(phase, () => phaseDrain(server, subscribers));
        run[phase] = result;
        console.log(
          `run ${r} backlog drain, ${subscribers} subscriber(s): ${f0(result?.rate)} events/s (${f0(result?.ms)} ms; ` +
            `${f0(result?.fromStartRate)}/s from bus start; duplicates ${result?.duplicates ?? 'n/a'}, out of key order ${result?.outOfOrder ?? 'n/a'}; ` +
            `${cpuNote(result?.cpu, CFG.n)})`,
        );
      }
    }
    report(runs);
    if (process.env.JSON_OUT) writeFileSync(process.env.JSON_OUT, JSON.stringify({ config: { ...CFG, phases: [...CFG.phases] }, server: facts, runs }, null, 1));
  } finally {
    if (!interrupted) await server.close();
  }
}

/** This process's CPU per event, and how busy the machine was (the phase's worth on a shared machine). */
function cpuNote(cpu: CpuWindow | undefined, events: number | undefined): string {
  if (!cpu) return 'cpu n/a';
  const perEvent = events
    ? `${((cpu.processMs * 1000) / events).toFixed(0)} us node + ${Number.isFinite(cpu.serverMs) ? ((cpu.serverMs * 1000) / events).toFixed(0) : 'n/a'} us db cpu/event, `
    : '';
  return `${perEvent}machine ${Number.isFinite(cpu.machineBusy) ? `${(cpu.machineBusy * 100).toFixed(0)}% busy` : 'busy n/a'}, load ${cpu.load1.toFixed(1)}`;
}

/**
 * Issue 13's targets, as ratios to the same run's raw INSERT rate where the measure is a rate. The peers' ratios are
 * DESIGN.md's ("Measured anchors for the event bus"), measured with ../shared/bench/events-peer.sh.
 */
const TARGET = { publishRatio: 0.85, e2e1Ratio: 0.6, e2e3Ratio: 0.45, p50: 3, p99: 15, drain: 20_000 };
const PEERS = 'pg-boss 0.31x, graphile-worker 0.12x';

function report(runs: RunResult[]): void {
  const base = median(runs.map((run) => run.baseline?.rate));
  // Ratios are taken per run against that run's baseline, then the median (as the peer harness does).
  const ratio = (pick: (run: RunResult) => number | undefined) => median(runs.map((run) => (pick(run) ?? NaN) / (run.baseline?.rate ?? NaN)));
  const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');
  // CPU per event (node + database server) over the raw INSERT's, per run: what the platform adds, in a figure the
  // neighbours' load moves much less than a rate.
  const cpuPerEvent = (cpu: CpuWindow | undefined) => (cpu ? (cpu.processMs + cpu.serverMs) / CFG.n : NaN);
  const cpu = (pick: (run: RunResult) => CpuWindow | undefined) => f2(median(runs.map((run) => cpuPerEvent(pick(run)) / cpuPerEvent(run.baseline?.cpu))));
  const rows: string[][] = [];
  rows.push(['raw single-row INSERT, 8 clients', `${f0(base)}/s`, '1.00', '1.00', '', '', '']);
  if (runs.some((run) => run.publish)) {
    const r = ratio((run) => run.publish?.rate);
    rows.push(['publish only, no subscriber', `${f0(median(runs.map((run) => run.publish?.rate)))}/s`, f2(r), cpu((run) => run.publish?.cpu), `>= ${f2(TARGET.publishRatio)}x raw`, mark(r >= TARGET.publishRatio), '']);
  }
  for (const [phase, subscribers, target, peer] of [['tp1', 1, TARGET.e2e1Ratio, PEERS], ['tp3', 3, TARGET.e2e3Ratio, '']] as const) {
    if (!runs.some((run) => run[phase])) continue;
    const r = ratio((run) => run[phase]?.e2e);
    rows.push([
      `end to end, ${subscribers} subscriber${subscribers > 1 ? 's' : ''}`,
      `${f0(median(runs.map((run) => run[phase]?.e2e)))}/s`,
      f2(r),
      cpu((run) => run[phase]?.cpu),
      `>= ${f2(target)}x raw`,
      mark(r >= target),
      peer,
    ]);
  }
  for (const rate of CFG.rates) {
    if (!runs.some((run) => run.lat[rate])) continue;
    const p50 = median(runs.map((run) => run.lat[rate]?.p50));
    const p99 = median(runs.map((run) => run.lat[rate]?.p99));
    const max = median(runs.map((run) => run.lat[rate]?.max));
    const targeted = rate === 200;
    rows.push([
      `latency at ${rate}/s, 1 subscriber (p50/p99/max)`,
      `${f1(p50)} / ${f1(p99)} / ${f1(max)} ms`,
      '',
      '',
      targeted ? `p50 <= ${TARGET.p50}, p99 <= ${TARGET.p99} ms` : '',
      targeted ? `p50 ${mark(p50 <= TARGET.p50)}, p99 ${mark(p99 <= TARGET.p99)}` : '',
      targeted ? 'graphile-worker 2.9 / 24.8 ms' : '',
    ]);
  }
  if (runs.some((run) => run.drain1)) {
    const rate = median(runs.map((run) => run.drain1?.rate));
    rows.push(['backlog drain, 1 subscriber', `${f0(rate)}/s`, f2(ratio((run) => run.drain1?.rate)), cpu((run) => run.drain1?.cpu), `>= ${f0(TARGET.drain)}/s`, mark(rate >= TARGET.drain), 'pg-boss 7,256/s']);
  }
  if (runs.some((run) => run.drain3)) {
    rows.push(['backlog drain, 3 subscribers (events/s)', `${f0(median(runs.map((run) => run.drain3?.rate)))}/s`, f2(ratio((run) => run.drain3?.rate)), cpu((run) => run.drain3?.cpu), '', '', '']);
  }
  console.log(
    `\nmedians of ${runs.length} run(s); ratio = median over runs of (value / same-run raw INSERT rate); cpu = (node + database CPU per event) / ` +
      `the raw INSERT's, same run; load average now ${os.loadavg()[0]!.toFixed(1)}`,
  );
  console.log(table(['measure', 'value', '/ raw INSERT', 'cpu / raw', 'target (issue 13)', 'verdict', 'peers (DESIGN.md)'], rows, [0, 4, 5, 6]));
}

await main();
// Anything still holding the event loop (a pool a failed phase left open) must not keep the benchmark alive.
process.exit(0);
