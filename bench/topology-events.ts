// The events phase of `npm run bench:topology`: one subscription, its producer in the same process against its
// producer in another process with the events over NATS JetStream (a server of the benchmark's own, file storage).
// Both use the same modules (bench/support/bench-modules.ts: a handler that does nothing, so the work per event is
// the platform's) and the same child script (bench/topology-events-app.ts), on a fresh database each round; rounds
// alternate the topologies (in process, across, across, in process, ...) so a neighbour's burst lands on both.
//
//   throughput  EVENTS events from LANES closed-loop publishers, PER_TX events per transaction (one event per
//               transaction tops out at the machine's commit rate, about 3,500/s here, below the target); end to end =
//               first publish -> the handler has seen the last event
//   latency     RATE events/s, one per transaction, for LAT_SECS s after 1 s of warm-up; publish (the moment the
//               transaction was due) -> handler, wall clock in both processes
//   order       per-key order violations: each key has one publisher, which publishes it in id order; an event handled
//               after a later one of its key is a violation (must be 0), as is a second handling (duplicates)
//   stages      across processes, per event, from the columns the receiver stores with it: relay (publish -> stored in
//               the stream, the stream's clock), NATS (stored -> arrived at the receiver), receiver (arrived -> its
//               insert began), delivery (insert began -> handler, which includes the insert's commit)
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { streamName } from '#platform/events/nats-connection.ts';
import { answersWithJetStream, natsServerBinary, OwnNatsServer } from '../test/support/nats-server.ts';
import { PRODUCER } from './support/bench-modules.ts';
import { deferStop } from './support/cleanup.ts';
import type { BenchServer } from './support/server.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface EventsBenchOptions {
  readonly server: BenchServer;
  readonly rounds: number;
  readonly events: number;
  readonly lanes: number;
  readonly perTx: number;
  readonly rate: number;
  readonly latSecs: number;
  /** NATS_URL to use instead of a server of the benchmark's own. */
  readonly natsUrl: string | undefined;
  readonly appEnv: Record<string, string>;
  readonly say: (line: string) => void;
}

export interface StageSummary {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

export interface TopologyEvents {
  /** Events per second, per round. */
  readonly throughput: number[];
  /** CPU ms of the app processes per 1,000 events, per round. */
  readonly cpuPerThousand: number[];
  readonly latency: Array<{ p50: number; p99: number; max: number; n: number }>;
  readonly outOfOrder: number;
  readonly duplicates: number;
  readonly missing: number;
}

export type EventsBenchResult =
  | { readonly skipped: string }
  | {
      readonly skipped?: undefined;
      readonly nats: string;
      readonly inProcess: TopologyEvents;
      readonly across: TopologyEvents;
      /** Across processes: the throughput rounds' and the latency rounds' stages. */
      readonly stages: { throughput: Record<string, StageSummary>[]; latency: Record<string, StageSummary>[] };
    };

interface Line {
  readonly line: string;
  readonly [field: string]: unknown;
}

/** A child running bench/topology-events-app.ts, spoken to in lines. */
class AppProcess {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: Line[] = [];
  #stderr = '';
  #wake: (() => void) | undefined;
  #exited = false;

  constructor(role: string, env: Record<string, string>) {
    const inherited = { ...process.env };
    delete inherited.NODE_OPTIONS;
    // APP_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=.data/prof"): node flags for every app process, to profile them.
    const flags = (process.env.APP_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
    this.#child = spawn(process.execPath, [...flags, path.join(here, 'topology-events-app.ts')], { env: { ...inherited, ...env, ROLE: role }, stdio: ['pipe', 'pipe', 'pipe'] });
    let tail = '';
    this.#child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (tail + chunk).split('\n');
      tail = parts.pop() ?? '';
      for (const part of parts) if (part.startsWith('{"line"')) this.#lines.push(JSON.parse(part) as Line);
      this.#wake?.();
    });
    this.#child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-4000);
    });
    this.#child.on('exit', () => {
      this.#exited = true;
      this.#wake?.();
    });
  }

  send(command: string): void {
    this.#child.stdin.write(`${command}\n`);
  }

  /** The next line of a kind (taken off the list), waiting up to `timeoutMs`. */
  async next(kind: string, timeoutMs: number): Promise<Line> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.#lines.findIndex((line) => line.line === kind);
      if (at >= 0) return this.#lines.splice(at, 1)[0]!;
      if (this.#exited) throw new Error(`the ${kind} line never came: the process exited. stderr:\n${this.#stderr}`);
      if (Date.now() > deadline) throw new Error(`no ${kind} line within ${timeoutMs} ms. stderr:\n${this.#stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async stop(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.send('stop');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

async function deleteStream(url: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    await (await jetstreamManager(nc)).streams.delete(streamName(PRODUCER)).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

interface RoundResult {
  throughput: number;
  /** CPU ms of the app processes (not PostgreSQL's, not NATS's) per 1,000 events of the throughput run. */
  cpuPerThousand: number;
  /** The same per process: the subscriber's, then (across processes) the producer's. */
  cpuPerProcess: number[];
  latency: { p50: number; p99: number; max: number; n: number };
  outOfOrder: number;
  duplicates: number;
  missing: number;
  stages?: { throughput: Record<string, StageSummary>; latency: Record<string, StageSummary> };
}

async function round(options: EventsBenchOptions, across: boolean, natsUrl: string): Promise<RoundResult> {
  const database = await options.server.freshDatabase();
  const env = { ...options.appEnv, DATABASE_URL: database.url, ...(across ? { NATS_URL: natsUrl } : {}) };
  const children: AppProcess[] = [];
  try {
    if (across) await deleteStream(natsUrl);
    // The subscriber first, so its receivers are waiting when the first events arrive.
    const subscriber = new AppProcess(across ? 'subscriber' : 'all', env);
    children.push(subscriber);
    await subscriber.next('ready', 60_000);
    const producer = across ? new AppProcess('producer', env) : subscriber;
    if (across) {
      children.push(producer);
      await producer.next('ready', 60_000);
    }
    const timeoutMs = 300_000;
    // Warm the path (JIT, pools, the NATS consumers) with a few events not counted anywhere but the totals.
    const warm = 200;
    producer.send(`closed ${warm} 1 1`);
    await producer.next('published', timeoutMs);
    subscriber.send(`wait ${warm}`);
    await subscriber.next('done', timeoutMs);

    // Per process (the subscriber's first), so a change to the relay or the receiver shows on its own side.
    const cpu = async () => {
      const ms: number[] = [];
      for (const child of children) {
        child.send('cpu');
        ms.push((await child.next('cpu', timeoutMs)).cpuMs as number);
      }
      return ms;
    };
    const cpuBefore = await cpu();
    producer.send(`closed ${options.events} ${options.lanes} ${options.perTx}`);
    subscriber.send(`wait ${warm + options.events} ${warm}`);
    const published = await producer.next('published', timeoutMs);
    const drained = await subscriber.next('done', timeoutMs);
    const throughput = (options.events / ((drained.lastAt as number) - (published.t0 as number))) * 1000;
    const cpuPerProcess = (await cpu()).map((ms, i) => (ms - cpuBefore[i]!) / (options.events / 1000));
    const cpuPerThousand = cpuPerProcess.reduce((sum, ms) => sum + ms, 0);
    let tpStages: Record<string, StageSummary> | undefined;
    if (across) {
      subscriber.send(`stages ${warm}`);
      tpStages = stageOf(await subscriber.next('stages', timeoutMs));
    }

    const latWarm = options.rate;
    const latEvents = latWarm + options.rate * options.latSecs;
    const from = warm + options.events;
    producer.send(`open ${options.rate} ${latEvents} 1`);
    subscriber.send(`wait ${from + latEvents} ${from + latWarm}`);
    await producer.next('published', timeoutMs);
    const latency = await subscriber.next('done', timeoutMs);
    let latStages: Record<string, StageSummary> | undefined;
    if (across) {
      subscriber.send(`stages ${from + latWarm}`);
      latStages = stageOf(await subscriber.next('stages', timeoutMs));
    }
    const total = from + latEvents;
    return {
      throughput,
      cpuPerThousand,
      cpuPerProcess,
      latency: latency.latency as RoundResult['latency'],
      outOfOrder: latency.outOfOrder as number,
      duplicates: latency.duplicates as number,
      missing: Math.max(0, total - ((latency.count as number) - (latency.duplicates as number))),
      ...(tpStages && latStages ? { stages: { throughput: tpStages, latency: latStages } } : {}),
    };
  } finally {
    for (const child of children.reverse()) await child.stop();
    await database.drop();
  }
}

function stageOf(line: Line): Record<string, StageSummary> {
  const { line: _kind, ...stages } = line;
  return stages as Record<string, StageSummary>;
}

export async function benchEvents(options: EventsBenchOptions): Promise<EventsBenchResult> {
  let natsUrl = options.natsUrl;
  let stopNats = async () => undefined as unknown;
  let natsNote = natsUrl ?? '';
  if (!natsUrl) {
    const binary = natsServerBinary();
    if (!binary) return { skipped: 'nats-server is not on PATH, and NATS_URL is not set' };
    const own = await OwnNatsServer.start(binary);
    stopNats = deferStop('nats-server', () => own.stop());
    natsUrl = own.url;
    natsNote = `nats-server of its own on ${own.url} (file storage in ${own.storeDir})`;
  } else if (!(await answersWithJetStream(natsUrl))) return { skipped: `no NATS JetStream server answers on ${natsUrl}` };
  const results = { inProcess: [] as RoundResult[], across: [] as RoundResult[] };
  try {
    for (let r = 0; r < options.rounds; r++) {
      // ABBA: in process, across, across, in process, ...
      const order = r % 2 === 0 ? [false, true] : [true, false];
      for (const across of order) {
        const result = await round(options, across, natsUrl);
        (across ? results.across : results.inProcess).push(result);
        options.say(
          `round ${r + 1} ${across ? 'across processes' : 'in process'}: ${Math.round(result.throughput)} events/s (app CPU ${Math.round(result.cpuPerThousand)} ms per 1,000${across ? `: subscriber ${Math.round(result.cpuPerProcess[0]!)}, producer ${Math.round(result.cpuPerProcess[1]!)}` : ''}); at ${options.rate}/s p50 ${result.latency.p50.toFixed(2)} ms, ` +
            `p99 ${result.latency.p99.toFixed(2)} ms; out of order ${result.outOfOrder}, duplicates ${result.duplicates}, missing ${result.missing}`,
        );
      }
    }
  } finally {
    await stopNats();
  }
  const summarize = (rounds: RoundResult[]): TopologyEvents => ({
    throughput: rounds.map((r) => r.throughput),
    cpuPerThousand: rounds.map((r) => r.cpuPerThousand),
    latency: rounds.map((r) => r.latency),
    outOfOrder: rounds.reduce((sum, r) => sum + r.outOfOrder, 0),
    duplicates: rounds.reduce((sum, r) => sum + r.duplicates, 0),
    missing: rounds.reduce((sum, r) => sum + r.missing, 0),
  });
  return {
    nats: natsNote,
    inProcess: summarize(results.inProcess),
    across: summarize(results.across),
    stages: { throughput: results.across.map((r) => r.stages!.throughput), latency: results.across.map((r) => r.stages!.latency) },
  };
}
