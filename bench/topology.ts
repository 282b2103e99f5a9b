// Topology benchmark: `npm run bench:topology`. The price of a network hop, in numbers (issue 7).
//
//   rpc     one contract call (catalog.getProducts, IDS ids) in process against over HTTP on loopback: p50/p99 and
//           their ratio (bench/topology-rpc.ts has the method)
//   events  one subscription with its producer in process against its producer in another process, events over NATS
//           JetStream: events/s end to end and the ratio, latency at RATE/s, per-key order violations, time per stage
//           (bench/topology-events.ts has the method)
//   orders  an order from POST /orders until it is confirmed, in one process (MODULES=all) against the split topology
//           (three processes, NATS JetStream), both running at once: p50/p99 and their ratio
//           (bench/topology-orders.ts has the method)
//
// Env: DATABASE_URL (a server where we may create databases and roles; fresh databases are made and dropped; unset:
//      an embedded PostgreSQL with its data in .data/bench-postgres)
//      PHASES (rpc,events,orders) JSON_OUT (file for the numbers) BENCH_LOG_LEVEL (warn)
//      rpc:    N (2000 calls per side) WARMUP (200 per side) ROUNDS (10) IDS (3)
//      events: EVENT_ROUNDS (2 per topology) EVENTS (20000) LANES (4) PER_TX (50) RATE (200) LAT_SECS (10)
//              BENCH_NATS_URL (a NATS server to use; unset: a nats-server of the benchmark's own, file storage)
//              APP_NODE_FLAGS (node flags for the app processes, e.g. "--cpu-prof --cpu-prof-dir=.data/prof")
//      orders: ORDERS (300 per topology) ORDER_WARMUP (30 per topology) ORDER_LINES (1) SIGNAL (notify | poll)
//              POLL_MS (2, with SIGNAL=poll) MAX_SECS (300) ORDER_TIMEOUT_MS (15000)
//              APP_ENV (settings for every app process of both topologies, over DB_POOL_MAX=4; e.g. "EVENTS_POLL_INTERVAL_MS=100")
// Ctrl-C (or SIGTERM) stops every process and drops every database the run made.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { createLogger } from '#platform/logger.ts';
import { stopAllChildren } from './http-support.ts';
import { deferStop, stopOnSignals } from './support/cleanup.ts';
import { describeServer, openServer } from './support/server.ts';
import { f0, f2, median, table } from './support/stats.ts';
import { benchOrders, type EndSignal, type OrdersBenchResult } from './topology-orders.ts';
import { benchRpc, type RpcBenchResult } from './topology-rpc.ts';
import { benchEvents, type EventsBenchResult, type StageSummary } from './topology-events.ts';

const env = (name: string, fallback: string) => (process.env[name] === undefined || process.env[name] === '' ? fallback : process.env[name]!);
const CFG = {
  phases: env('PHASES', 'rpc,events,orders').split(',').map((phase) => phase.trim()),
  n: Number(env('N', '2000')),
  warmup: Number(env('WARMUP', '200')),
  rounds: Number(env('ROUNDS', '10')),
  ids: Number(env('IDS', '3')),
  orders: Number(env('ORDERS', '300')),
  orderWarmup: Number(env('ORDER_WARMUP', '30')),
  orderLines: Number(env('ORDER_LINES', '1')),
  signal: env('SIGNAL', 'notify') as EndSignal,
  pollMs: Number(env('POLL_MS', '2')),
  maxSecs: Number(env('MAX_SECS', '300')),
  orderTimeoutMs: Number(env('ORDER_TIMEOUT_MS', '15000')),
  appEnv: Object.fromEntries(
    env('APP_ENV', '')
      .split(/\s+/)
      .filter(Boolean)
      .map((pair) => {
        const at = pair.indexOf('=');
        if (at < 1) throw new Error(`APP_ENV: "${pair}" is not NAME=value; give space-separated settings, e.g. APP_ENV="EVENTS_POLL_INTERVAL_MS=100"`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
  ) as Record<string, string>,
  jsonOut: env('JSON_OUT', ''),
  eventRounds: Number(env('EVENT_ROUNDS', '2')),
  events: Number(env('EVENTS', '20000')),
  lanes: Number(env('LANES', '4')),
  perTx: Number(env('PER_TX', '50')),
  rate: Number(env('RATE', '200')),
  latSecs: Number(env('LAT_SECS', '10')),
  natsUrl: process.env.BENCH_NATS_URL || undefined,
};
const unknownPhases = CFG.phases.filter((phase) => phase !== 'rpc' && phase !== 'events' && phase !== 'orders');
if (unknownPhases.length > 0) throw new Error(`PHASES=${process.env.PHASES}: unknown phase(s) ${unknownPhases.join(', ')}; use some of rpc, events, orders`);
if (CFG.signal !== 'notify' && CFG.signal !== 'poll') throw new Error(`SIGNAL=${CFG.signal}: use notify (a NOTIFY at the confirming commit) or poll (GET /orders/:id every POLL_MS)`);

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const ratioRow = (label: string, a: { p50Ms: number; p99Ms: number; meanMs: number }, b: { p50Ms: number; p99Ms: number; meanMs: number }) => [
  label,
  '',
  `${f2(b.p50Ms / a.p50Ms)}x`,
  `${f2(b.p99Ms / a.p99Ms)}x`,
  `${f2(b.meanMs / a.meanMs)}x`,
];

async function main(): Promise<void> {
  stopOnSignals();
  const logger = createLogger(env('BENCH_LOG_LEVEL', 'warn') as 'warn');
  const server = await openServer(process.env.DATABASE_URL, logger);
  const closeServer = deferStop('the PostgreSQL server', () => server.close());
  const stopChildren = deferStop('child servers', () => stopAllChildren());
  const results: { rpc?: RpcBenchResult; events?: EventsBenchResult; orders?: OrdersBenchResult } = {};
  try {
    const facts = await describeServer(server.url);
    console.log(
      `bench:topology  node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'}), load ${load()}; ` +
        `PostgreSQL ${facts.version}${server.embedded ? ' (embedded)' : ''}, fsync=${facts.fsync}, synchronous_commit=${facts.synchronousCommit}`,
    );

    if (CFG.phases.includes('rpc')) {
      console.log(`\nrpc: catalog.getProducts with ${CFG.ids} ids, ${CFG.n} calls per side after ${CFG.warmup} warm-up, ${CFG.rounds} alternating rounds, one at a time\n`);
      const database = await server.freshDatabase();
      const rpc = await benchRpc({ databaseUrl: database.url, n: CFG.n, warmup: CFG.warmup, rounds: CFG.rounds, idsPerCall: CFG.ids, logger }).finally(() => database.drop());
      results.rpc = rpc;
      console.log(
        table(
          ['catalog.getProducts', 'calls', 'p50 ms', 'p99 ms', 'mean ms'],
          [
            ['in process', String(rpc.inProcess.n), f2(rpc.inProcess.p50Ms), f2(rpc.inProcess.p99Ms), f2(rpc.inProcess.meanMs)],
            ['over HTTP (loopback)', String(rpc.overHttp.n), f2(rpc.overHttp.p50Ms), f2(rpc.overHttp.p99Ms), f2(rpc.overHttp.meanMs)],
            ratioRow('ratio HTTP / in process', rpc.inProcess, rpc.overHttp),
          ],
        ),
      );
      console.log(`\nload after rpc: ${load()}`);
    }

    if (CFG.phases.includes('events')) {
      console.log(
        `\nevents: one subscription (handler does nothing), ${CFG.eventRounds} rounds per topology alternating; throughput: ${CFG.events} events from ${CFG.lanes} ` +
          `closed-loop publishers, ${CFG.perTx} per transaction; latency: ${CFG.rate} events/s, one per transaction, ${CFG.latSecs} s after 1 s of warm-up`,
      );
      const events = await benchEvents({
        server,
        rounds: CFG.eventRounds,
        events: CFG.events,
        lanes: CFG.lanes,
        perTx: CFG.perTx,
        rate: CFG.rate,
        latSecs: CFG.latSecs,
        natsUrl: CFG.natsUrl,
        appEnv: CFG.appEnv,
        say: (line) => console.log(`  ${line} (load ${load()})`),
      });
      results.events = events;
      if (events.skipped !== undefined) console.log(`events: skipped: ${events.skipped}`);
      else printEvents(events);
      console.log(`\nload after events: ${load()}`);
    }

    if (CFG.phases.includes('orders')) {
      const signal = CFG.signal === 'notify' ? 'NOTIFY at the confirming commit' : `GET /orders/:id every ${CFG.pollMs} ms`;
      console.log(
        `\norders: POST /orders (${CFG.orderLines} line(s), quantity 1) until confirmed (${signal}), ${CFG.orders} per topology after ${CFG.orderWarmup} warm-up, ` +
          `one at a time, alternating topologies in ABBA pairs, at most ${CFG.maxSecs} s` +
          (Object.keys(CFG.appEnv).length > 0 ? `; apps with ${Object.entries(CFG.appEnv).map(([name, value]) => `${name}=${value}`).join(' ')}` : ''),
      );
      const orders = await benchOrders({
        server,
        orders: CFG.orders,
        warmup: CFG.orderWarmup,
        lines: CFG.orderLines,
        signal: CFG.signal,
        pollMs: CFG.pollMs,
        maxSecs: CFG.maxSecs,
        orderTimeoutMs: CFG.orderTimeoutMs,
        appEnv: CFG.appEnv,
        say: (line) => console.log(`  ${line} (load ${load()})`),
      });
      results.orders = orders;
      if (orders.skipped !== undefined) console.log(`orders: skipped: ${orders.skipped}`);
      else {
        const { oneProcess: a, split: b } = orders;
        console.log(
          `\n${table(
            ['placed -> confirmed', 'orders', 'p50 ms', 'p99 ms', 'mean ms', 'POST p50 ms'],
            [
              ['one process (MODULES=all)', String(a.placedToConfirmed.n), f2(a.placedToConfirmed.p50Ms), f2(a.placedToConfirmed.p99Ms), f2(a.placedToConfirmed.meanMs), f2(a.post.p50Ms)],
              ['split (3 processes, NATS)', String(b.placedToConfirmed.n), f2(b.placedToConfirmed.p50Ms), f2(b.placedToConfirmed.p99Ms), f2(b.placedToConfirmed.meanMs), f2(b.post.p50Ms)],
              [...ratioRow('ratio split / one process', a.placedToConfirmed, b.placedToConfirmed), `${f2(b.post.p50Ms / a.post.p50Ms)}x`],
            ],
          )}`,
        );
        console.log(`\n${orders.truncated ? 'stopped by MAX_SECS; ' : ''}${f2(orders.seconds)} s of orders; load after orders: ${load()}`);
      }
    }
    if (CFG.jsonOut) writeFileSync(CFG.jsonOut, JSON.stringify({ config: CFG, loadAfter: os.loadavg(), ...results }, null, 2));
  } finally {
    await stopChildren();
    await closeServer();
  }
}

function printEvents(events: Exclude<EventsBenchResult, { skipped: string }>): void {
  const { inProcess: a, across: b } = events;
  const row = (label: string, t: typeof a) => [
    label,
    f0(median(t.throughput)),
    t.throughput.map((x) => f0(x)).join(' / '),
    f0(median(t.cpuPerThousand)),
    f2(median(t.latency.map((l) => l.p50))),
    f2(median(t.latency.map((l) => l.p99))),
    String(t.outOfOrder),
    String(t.duplicates),
    String(t.missing),
  ];
  console.log(`\n  NATS: ${events.nats}\n`);
  console.log(
    table(
      ['one subscription', 'events/s (median)', 'rounds', 'app CPU ms / 1,000', `p50 ms at ${CFG.rate}/s`, `p99 ms at ${CFG.rate}/s`, 'order violations', 'duplicates', 'missing'],
      [
        row('in process', a),
        row('across processes (NATS)', b),
        ['ratio across processes / in process', `${f2(median(b.throughput) / median(a.throughput))}x`, '', `${f2(median(b.cpuPerThousand) / median(a.cpuPerThousand))}x`, `${f2(median(b.latency.map((l) => l.p50)) / median(a.latency.map((l) => l.p50)))}x`, `${f2(median(b.latency.map((l) => l.p99)) / median(a.latency.map((l) => l.p99)))}x`, '', '', ''],
      ],
    ),
  );
  const stage = (runs: Record<string, StageSummary>[], name: string, pick: 'p50' | 'p99' | 'mean') => f2(median(runs.map((r) => r[name]?.[pick])));
  console.log(
    `\n${table(
      ['across processes, per stage (ms, medians of rounds)', 'throughput p50', 'throughput mean', `at ${CFG.rate}/s p50`, `at ${CFG.rate}/s p99`],
      [
        ['relay: publish -> stored in the stream', 'relay'],
        ['NATS: stored -> arrived at the receiver', 'nats'],
        ['receiver: arrived -> its insert began', 'receiver'],
        ['delivery: insert began -> handler (incl. the commit)', 'delivery'],
      ].map(([label, name]) => [
        label!,
        stage(events.stages.throughput, name!, 'p50'),
        stage(events.stages.throughput, name!, 'mean'),
        stage(events.stages.latency, name!, 'p50'),
        stage(events.stages.latency, name!, 'p99'),
      ]),
    )}`,
  );
}

await main();
