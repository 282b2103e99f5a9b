// One process of the events phase of `npm run bench:topology` (bench/topology-events.ts starts it; not run by hand).
// It runs the benchmark's producer, its one subscriber, or both (ROLE=producer | subscriber | all; MODULES follows)
// on DATABASE_URL, with events over NATS_URL when producer and subscriber are apart.
//
// stdin, one command a line:
//   closed <events> <lanes> <perTx>  publish <events> from <lanes> concurrent loops, <perTx> events per transaction
//   open <rate> <events> <perTx>     publish <events> at <rate> events/s (one transaction per tick of <perTx>)
//   wait <events>                    say `done` once the handler has seen <events> events
//   stages <fromId>                  the subscriber's time per stage for events with payload id >= fromId
//   stop
// stdout: JSON lines with a `line` field: ready, published {t0, t1}, done {count, firstAt, lastAt, duplicates,
// outOfOrder, latency: {p50, p99, max}}, stages {...}. Times are wall-clock ms (performance.timeOrigin + now()):
// the producer's and the subscriber's processes share the machine's clock.
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '#platform/config.ts';
import { createLogger } from '#platform/logger.ts';
import type { Publisher } from '#platform/events/publisher.ts';
import type { DeliveredEvent } from '#platform/events/subscription.ts';
import { benchModules, OrderPlaced, PRODUCER, sinkName, type BenchMessage } from './support/bench-modules.ts';
import { percentile } from './support/stats.ts';

const role = process.env.ROLE ?? 'all';
const wall = () => performance.timeOrigin + performance.now();
const emit = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
const payloadBytes = Number(process.env.PAYLOAD_BYTES ?? 300);
const KEYS_PER_LANE = 8;

// ------------------------------------------------------------------------------------------------ the subscriber side
const handled = new Map<string, { id: number; ts: number; at: number }>();
const lastByKey = new Map<string, number>();
let count = 0;
let duplicates = 0;
let outOfOrder = 0;
let firstAt: number | undefined;
let lastAt = 0;
let waiting: { events: number; resolve: () => void } | undefined;

function onHandle(_sink: number, event: DeliveredEvent<BenchMessage>): void {
  const at = wall();
  if (handled.has(event.id)) duplicates += 1;
  handled.set(event.id, { id: event.payload.id, ts: event.payload.ts, at });
  // Each key belongs to one publishing lane, which publishes it in increasing id order: a smaller id after a larger
  // one for the same key is an event handled before an earlier one.
  const last = lastByKey.get(event.payload.key) ?? -1;
  if (event.payload.id < last) outOfOrder += 1;
  else lastByKey.set(event.payload.key, event.payload.id);
  count += 1;
  firstAt ??= at;
  lastAt = at;
  if (waiting && count >= waiting.events) waiting.resolve();
}

const { modules } = benchModules(1, onHandle);
const names = modules.map((module) => module.name);
const local = role === 'producer' ? [PRODUCER] : role === 'subscriber' ? [sinkName(0)] : names;
const remote = names.filter((name) => !local.includes(name));
const settings: Record<string, string | undefined> = {
  ...process.env,
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  JWT_SECRET: 'bench-secret-not-used-for-anything-real',
  MODULES: local.join(','),
  // Never called: the benchmark's modules have no API methods. They only have to be somewhere.
  ...(remote.length > 0 ? { REMOTE_MODULES: remote.map((name) => `${name}=http://127.0.0.1:9`).join(','), SERVICE_TOKEN: 'bench-service-token-of-at-least-32-chars' } : {}),
};
const config = loadConfig(settings, names);
const app = await buildApp({ config, logger: createLogger(config.logLevel), modules, databaseUrl: process.env.DATABASE_URL! });
await app.ready();
emit({ line: 'ready', role });

// ------------------------------------------------------------------------------------------------ the producer side
let nextId = 0;
let filler: string | undefined;
function message(id: number, lane: number, ts: number): BenchMessage {
  filler ??= 'x'.repeat(Math.max(0, payloadBytes - 110));
  return { id, ts, key: `l${lane}k${id % KEYS_PER_LANE}`, type: 'bench.order-placed', body: filler };
}

async function publishTx(lane: number, events: number, ts = wall()): Promise<void> {
  const db = app.diContainer.resolve<Kysely<unknown>>(`${PRODUCER}/db`);
  const publisher = app.diContainer.resolve<Publisher>(`${PRODUCER}/events`);
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < events; i++) await publisher.publish(trx, OrderPlaced, message(nextId++, lane, ts));
  });
}

async function closed(events: number, lanes: number, perTx: number): Promise<void> {
  const t0 = wall();
  let left = events;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      while (left > 0) {
        const take = Math.min(perTx, left);
        left -= take;
        await publishTx(lane, take);
      }
    }),
  );
  emit({ line: 'published', t0, t1: wall(), cpuMs: cpuMs() });
}

const cpuMs = () => {
  const cpu = process.cpuUsage();
  return (cpu.user + cpu.system) / 1000;
};

/**
 * Open loop: a transaction of `perTx` events every perTx/rate seconds, whatever the previous ones are doing, over 8
 * lanes in turn. A lane's transactions follow one another, so each key still has one publisher at a time; the time an
 * event is stamped with is when it was due, so waiting behind a slow transaction counts in its latency.
 */
async function open(rate: number, events: number, perTx: number): Promise<void> {
  const t0 = wall();
  const interval = (1000 * perTx) / rate;
  const lanes: Promise<void>[] = Array.from({ length: 8 }, () => Promise.resolve());
  for (let tick = 0; tick * perTx < events; tick++) {
    const due = t0 + tick * interval;
    const wait = due - wall();
    if (wait > 0) await sleep(wait);
    const lane = tick % lanes.length;
    const take = Math.min(perTx, events - tick * perTx);
    lanes[lane] = lanes[lane]!.then(() => publishTx(lane, take, due));
  }
  await Promise.all(lanes);
  emit({ line: 'published', t0, t1: wall(), cpuMs: cpuMs() });
}

// ------------------------------------------------------------------------------------------------ reports
function done(fromId: number): void {
  const latencies = [...handled.values()].filter((h) => h.id >= fromId).map((h) => h.at - h.ts).sort((a, b) => a - b);
  emit({
    line: 'done',
    cpuMs: cpuMs(),
    count,
    firstAt,
    lastAt,
    duplicates,
    outOfOrder,
    latency: { n: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? NaN },
  });
}

/** Where an event's time went, from the columns the receiver stores beside it (the subscriber's process only). */
async function stages(fromId: number): Promise<void> {
  const db = app.diContainer.resolve<Kysely<unknown>>(`${sinkName(0)}/db`);
  const { rows } = await sql<{ id: string; stored: number; arrived: number; received: number }>`
    select id, extract(epoch from stored_at) * 1000 as stored, extract(epoch from arrived_at) * 1000 as arrived,
           extract(epoch from received_at) * 1000 as received from seams_received`.execute(db);
  const parts = { relay: [] as number[], nats: [] as number[], receiver: [] as number[], delivery: [] as number[] };
  for (const row of rows) {
    const h = handled.get(row.id);
    if (!h || h.id < fromId) continue;
    parts.relay.push(Number(row.stored) - h.ts);
    parts.nats.push(Number(row.arrived) - Number(row.stored));
    parts.receiver.push(Number(row.received) - Number(row.arrived));
    parts.delivery.push(h.at - Number(row.received));
  }
  const summary = Object.fromEntries(
    Object.entries(parts).map(([stage, values]) => {
      values.sort((a, b) => a - b);
      return [stage, { n: values.length, p50: percentile(values, 50), p99: percentile(values, 99), mean: values.reduce((s, v) => s + v, 0) / (values.length || 1) }];
    }),
  );
  emit({ line: 'stages', ...summary });
}

async function stop(): Promise<void> {
  await app.close();
  process.exit(0);
}

const input = createInterface({ input: process.stdin });
input.on('line', (text) => {
  const [command, ...args] = text.trim().split(/\s+/);
  const n = args.map(Number);
  const run = async () => {
    if (command === 'closed') await closed(n[0]!, n[1]!, n[2]!);
    else if (command === 'open') await open(n[0]!, n[1]!, n[2]!);
    else if (command === 'cpu') emit({ line: 'cpu', cpuMs: cpuMs() });
    else if (command === 'wait') {
      if (count < n[0]!) await new Promise<void>((resolve) => (waiting = { events: n[0]!, resolve }));
      done(n[1] ?? 0);
    } else if (command === 'stages') await stages(n[0] ?? 0);
    else if (command === 'stop') await stop();
  };
  run().catch((error: unknown) => {
    process.stderr.write(`topology-events-app (${role}): ${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  });
});
input.on('close', () => void stop());
process.on('SIGTERM', () => void stop());
