import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../db/database-unavailable.ts';
import type { NatsLeases } from './nats-leases.ts';
import type { RelayedEvent } from './nats-relay.ts';
import { UNFLUSHED_COMMIT, UNFLUSHED_COMMIT_COLUMN } from './unflushed-commit.ts';
import { ensureStream, PARTITIONS_HEADER, streamConfig, streamName, subjectsOfPartition, type NatsLink } from './nats-connection.ts';

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;
/** How often an instance that does not hold a partition's lease asks again (the holder may have died). */
const LEASE_RETRY_MS = 2000;
/** Messages asked of NATS at a time; the client asks for more as they arrive. */
const PULL_MESSAGES = 1000;
/** Arrived but not yet stored: beyond this many the receiver stops pulling until it has caught up (a backlog). */
const QUEUE_HIGH_WATER = 20_000;
/**
 * Under load the stream delivers a relay's batch in pieces, and a batch stored as soon as something arrived held about
 * a dozen events: each one a statement, a commit and a wake-up of the subscription's worker. When the last batch held
 * at least this many events and took at most COALESCE_MAX_MS, the next one first waits as long as the last one took
 * (as the event bus does for its workers). Single events never wait, so the latency at a low rate does not change.
 */
const COALESCE_FROM_EVENTS = 8;
const COALESCE_MAX_MS = 5;
/** NATS deletes a receiver's consumer this long after its receiver went away. */
const CONSUMER_INACTIVE_MS = 60_000;

export interface NatsReceiverOptions {
  /** The subscriber's own database: its `seams_received` and `seams_received_positions`. */
  readonly db: Kysely<unknown>;
  readonly module: string;
  readonly subscription: string;
  readonly producer: string;
  readonly event: string;
  /** The partition of the event's subjects this receiver takes, of `partitions` (EVENTS_NATS_PARTITIONS). */
  readonly partition: number;
  readonly partitions: number;
  readonly link: NatsLink;
  readonly leases: NatsLeases;
  readonly retentionMs: number;
  /** Most events stored per transaction. */
  readonly batchSize: number;
  /** Called after received events committed: wakes the workers that read `seams_received`. */
  readonly onReceived: (events: number) => void;
  readonly logger: Logger;
}

interface Arrival {
  readonly message: JsMsg;
  /** Epoch ms. */
  readonly arrivedAt: number;
}

/** The partition's consumer gave up (closed, failed, or another instance moved the position): start over. */
class StartOver extends Error {}

/**
 * Moves one partition of one subscription's events from its producer's JetStream stream into the subscriber's
 * `seams_received` table, from where the subscription worker handles them as it would from an outbox (inbox, order,
 * retries, dead letters).
 *
 * The position in the stream is the subscriber's, not NATS's: `seams_received_positions` holds the stream sequence of
 * the last message stored, and it moves in the same statement that stores a batch, only if it still is where this
 * receiver left it. The receiver reads with an ordered consumer (ephemeral, no acks, started at the stored position + 1,
 * recreated by the client at the next sequence whenever a message goes missing), so messages arrive exactly in stream
 * order and each batch continues the one before. Nothing ever comes back out of order: a crash, a failed insert, a
 * NATS restart or a takeover by another instance all start over from the stored position, and what was stored before
 * is dropped by event id. That is what lets a whole batch be in flight at once and still keep per-key order, where a
 * durable consumer would have to hold back every message behind one unacknowledged one (`max_ack_pending = 1`).
 *
 * Arrivals queue up while a batch is being stored, and the next batch takes all of them (up to `batchSize`): one
 * commit per batch, not per event. One instance at a time receives a partition, the one that holds its session
 * advisory lock ({@link NatsLeases}); the others ask again every few seconds. The position check is the fence
 * behind the lease.
 */
export class NatsReceiver {
  readonly #o: NatsReceiverOptions;
  readonly #leaseKey: string;
  #messages: ConsumerMessages | undefined;
  #consumerGone: (() => Promise<void>) | undefined;
  #running: Promise<void> | undefined;
  #wait: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  #queue: Arrival[] = [];
  #arrived: (() => void) | undefined;
  #failures = 0;
  #stopped = false;

  constructor(options: NatsReceiverOptions) {
    this.#o = options;
    this.#leaseKey = `seams:receiver:${options.module}:${options.subscription}:${options.partition}`;
    // A pull open when the server went away may be gone with it; the client would notice only after missed heartbeats.
    // Starting over from the stored position on a reconnect resumes delivery at once.
    options.link.onConnected(() => void this.#messages?.close().catch(() => undefined));
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  /** Stops pulling; the batch being stored is finished first. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#wait) {
      clearTimeout(this.#wait.timer);
      this.#wait.resolve();
    }
    this.#arrived?.();
    await this.#messages?.close().catch(() => undefined);
    await this.#running;
    await this.#o.leases.release(this.#leaseKey);
  }

  async #loop(): Promise<void> {
    const o = this.#o;
    while (!this.#stopped) {
      try {
        await Promise.race([o.link.ready(), this.#sleep(LEASE_RETRY_MS)]);
        if (this.#stopped || !o.link.connection) continue;
        if (!(await o.leases.acquire(this.#leaseKey))) {
          await this.#sleep(LEASE_RETRY_MS);
          continue;
        }
        await this.#receive();
        this.#failures = 0;
      } catch (error) {
        if (this.#stopped) break;
        if (error instanceof StartOver) continue;
        this.#failures += 1;
        // A database outage is logged once, by DatabaseAvailability; this loop only waits it out.
        if (!isDatabaseUnavailable(error)) o.logger.warn({ err: error }, 'receiving events from NATS failed; trying again');
        await this.#sleep(Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.#failures, 8)));
      } finally {
        await this.#messages?.close().catch(() => undefined);
        await this.#consumerGone?.();
        this.#messages = undefined;
        this.#consumerGone = undefined;
        this.#queue = [];
      }
    }
  }

  /** One run of the partition's consumer, from the stored position until it closes or a batch cannot be stored. */
  async #receive(): Promise<void> {
    const o = this.#o;
    const stream = streamName(o.producer);
    const jsm = await o.link.manager();
    // The producer's process creates and configures its stream; create it here only if it is missing, so that a
    // subscriber started first does not wait for it.
    await ensureStream(jsm, streamConfig(o.producer, o.retentionMs), false);
    let position = await this.#position();
    const { state } = await jsm.streams.info(stream);
    if (state.last_seq < position) {
      // The stream is younger than our position: the server lost its data and the stream was made again. Its events are
      // new to it, and numbered from 1 again; what we stored before is dropped by event id.
      o.logger.warn({ position, streamLastSeq: state.last_seq }, 'the stream is behind what was received from it (it was recreated); reading it from the start');
      if (!(await this.#movePosition(position, 0))) throw new StartOver();
      position = 0;
    }
    const consumer = await o.link.jetstream()!.consumers.get(stream, {
      filter_subjects: subjectsOfPartition(o.event, o.partition),
      opt_start_seq: position + 1,
      // Ours is an ephemeral consumer; one left behind by a crash goes away by itself after this.
      inactive_threshold: CONSUMER_INACTIVE_MS,
    });
    let closed = false;
    let warnedPartitions = false;
    const messages = await consumer.consume({
      max_messages: PULL_MESSAGES,
      callback: (message) => {
        const theirs = message.headers?.get(PARTITIONS_HEADER);
        if (theirs && Number(theirs) !== o.partitions && !warnedPartitions) {
          warnedPartitions = true;
          o.logger.error(
            { here: o.partitions, producerPartitions: Number(theirs) },
            'EVENTS_NATS_PARTITIONS differs between this process and the producer\'s: events of the partitions this process does not read never arrive. Set the same value everywhere',
          );
        }
        this.#queue.push({ message, arrivedAt: Date.now() });
        // A backlog arrives faster than it is stored: stop asking until the queue is empty, then go on from the position.
        if (this.#queue.length >= QUEUE_HIGH_WATER) void messages.close().catch(() => undefined);
        this.#arrived?.();
      },
    });
    this.#messages = messages;
    this.#consumerGone = () => consumer.delete().then(() => undefined, () => undefined);
    let lastBatch = 0;
    let lastTook = Infinity;
    void messages.closed().then(() => {
      closed = true;
      this.#arrived?.();
    });
    while (!this.#stopped) {
      if (this.#queue.length === 0) {
        if (closed) return;
        await new Promise<void>((resolve) => (this.#arrived = resolve));
        this.#arrived = undefined;
        continue;
      }
      if (lastBatch >= COALESCE_FROM_EVENTS && lastTook <= COALESCE_MAX_MS && this.#queue.length < o.batchSize) {
        // Under load, let the next batch fill for as long as the last one took (see COALESCE_FROM_EVENTS).
        await this.#sleep(lastTook);
        if (this.#stopped) break;
      }
      const batch = this.#queue.splice(0, o.batchSize);
      if (!o.leases.holds(this.#leaseKey)) throw new StartOver();
      const started = performance.now();
      position = await this.#store(batch, position);
      lastTook = performance.now() - started;
      lastBatch = batch.length;
    }
  }

  /** Stores a batch and moves the position past it, in one statement; returns the new position. */
  async #store(batch: readonly Arrival[], expected: number): Promise<number> {
    try {
      return await this.#insert(batch, expected, false);
    } catch (error) {
      // A data exception or a violated constraint (classes 22 and 23: text that is not JSON, not a uuid, not a time; a
      // field missing): some message is not an event of ours. Look at each one properly and store the rest, so that
      // one bad message does not stop the partition.
      if (!/^2[23]/.test(String((error as { code?: unknown }).code ?? ''))) throw error;
      return this.#insert(batch, expected, true);
    }
  }

  async #insert(batch: readonly Arrival[], expected: number, strict: boolean): Promise<number> {
    const o = this.#o;
    const last = batch.at(-1)!.message.seq;
    // The batch goes to PostgreSQL as one JSON array, written out by hand (no JSON parse here): four array parameters
    // cost the client an escape of every body's quotes and a formatted date per event (escapeElement and dateToString
    // were the receiver's top functions in its profile). Each body goes in as a JSON string, which PostgreSQL parses
    // on its own: a body pasted in as it came could close its element and add events of its own to the batch.
    let events = '';
    for (const arrival of batch) {
      const { message } = arrival;
      const body = message.string();
      if (strict ? !isRelayedEvent(body) : !body.startsWith('{')) {
        // Not one of ours: nothing to store, and reading it again would change nothing. The position passes it.
        o.logger.error({ subject: message.subject, seq: message.seq }, 'dropping a NATS message that is not an event');
        continue;
      }
      const traceparent = message.headers?.get('traceparent');
      const tracestate = message.headers?.get('tracestate');
      const trace = traceparent ? JSON.stringify(tracestate ? { traceparent, tracestate } : { traceparent }) : 'null';
      // From the parsed delivery info the ordered consumer already asked for (timestampNanos would split the subject
      // again); a double's precision is ample for milliseconds.
      const storedAt = Math.floor(message.info.timestampNanos / 1_000_000);
      events += `${events === '' ? '' : ','}{"b":${JSON.stringify(body)},"t":${trace},"s":${storedAt},"a":${arrival.arrivedAt}}`;
    }
    // The commit does not wait for the WAL flush (unflushed-commit.ts): the worker's batch that handles these events
    // flushes it with its own commit, and a database crash before that loses the rows and the position together, so the
    // receiver reads them from the stream again. A flushed commit here put a disk flush between arrival and handler.
    const result = await sql<{ moved: number; stored: number }>`
      with moved as (
        update seams_received_positions set stream_seq = ${last}, updated_at = now()
        where subscription = ${o.subscription} and partition = ${o.partition} and stream_seq = ${expected}
        returning 1
      ), stored as (
        insert into seams_received (id, producer, name, version, key, payload, trace, occurred_at, deliver_at, stored_at, arrived_at)
        select (e.b->>'id')::uuid, e.b->>'producer', e.b->>'name', (e.b->>'version')::int, e.b->>'key', e.b->'payload',
               nullif(e.t, 'null'::jsonb), (e.b->>'occurredAt')::timestamptz, (e.b->>'deliverAt')::timestamptz,
               to_timestamp(e.stored_ms / 1000), to_timestamp(e.arrived_ms / 1000)
        from jsonb_array_elements(${`[${events}]`}::jsonb) with ordinality as a(v, n)
             cross join lateral (select (a.v->>'b')::jsonb as b, a.v->'t' as t, (a.v->>'s')::float8 as stored_ms, (a.v->>'a')::float8 as arrived_ms) e
        where exists (select 1 from moved)
        -- In stream order: the worker reads this table in (xid, seq) order, and seq follows the insert.
        order by a.n
        on conflict (id) do nothing
        returning 1
      ), ${UNFLUSHED_COMMIT}
      select (select count(*) from moved)::int as moved, (select count(*) from stored)::int as stored, ${UNFLUSHED_COMMIT_COLUMN}`.execute(o.db);
    const { moved, stored } = result.rows[0]!;
    if (moved === 0) {
      // Another instance received this partition meanwhile (the lease changed hands): it is ahead; start over from it.
      o.logger.info('another instance moved this partition\'s position; starting over from it');
      throw new StartOver();
    }
    if (stored > 0) o.onReceived(stored);
    return last;
  }

  /** The stored position; a partition seen for the first time starts where the subscription's slowest partition is. */
  async #position(): Promise<number> {
    const o = this.#o;
    // A new partition count (EVENTS_NATS_PARTITIONS) gives new partitions: they read from the oldest position of the
    // old ones, and what was stored already is dropped by event id.
    await sql`insert into seams_received_positions (subscription, partition, stream_seq)
      select ${o.subscription}, ${o.partition}, coalesce(min(stream_seq), 0) from seams_received_positions where subscription = ${o.subscription}
      on conflict do nothing`.execute(o.db);
    const { rows } = await sql<{ seq: string }>`select stream_seq::text as seq from seams_received_positions
      where subscription = ${o.subscription} and partition = ${o.partition}`.execute(o.db);
    return Number(rows[0]!.seq);
  }

  async #movePosition(from: number, to: number): Promise<boolean> {
    const o = this.#o;
    const result = await sql`update seams_received_positions set stream_seq = ${to}, updated_at = now()
      where subscription = ${o.subscription} and partition = ${o.partition} and stream_seq = ${from}`.execute(o.db);
    return Number(result.numAffectedRows ?? 0) === 1;
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wait = undefined;
        resolve();
      }, ms);
      this.#wait = { timer, resolve };
    });
  }
}

/** A message body that PostgreSQL can take apart as a {@link RelayedEvent}. */
function isRelayedEvent(body: string): boolean {
  try {
    const event = JSON.parse(body) as Partial<RelayedEvent>;
    return (
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(String(event.id)) &&
      typeof event.producer === 'string' &&
      typeof event.name === 'string' &&
      Number.isInteger(event.version) &&
      !Number.isNaN(Date.parse(String(event.occurredAt))) &&
      (event.deliverAt === undefined || !Number.isNaN(Date.parse(String(event.deliverAt)))) &&
      'payload' in event
    );
  } catch {
    return false;
  }
}
