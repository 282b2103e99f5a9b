import { headers, type MsgHdrs } from '@nats-io/transport-node';
import { JetStreamApiError, type PubAck } from '@nats-io/jetstream';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { BatchOutcome } from './subscription-worker.ts';
import { ensureStream, PARTITIONS_HEADER, streamConfig, streamName, subjectOf, type NatsLink } from './nats-connection.ts';
import type { EventKey } from './event-topology.ts';
import { partitionOf } from './partitioning.ts';
import { committedAfter, committedAfterRow } from './later-events.ts';
import { UNFLUSHED_COMMIT, UNFLUSHED_COMMIT_COLUMN } from './unflushed-commit.ts';
import type { NatsLeases } from './nats-leases.ts';

/** How long one publish may wait for the stream's acknowledgement before the batch stops and retries later. */
const PUBLISH_TIMEOUT_MS = 5000;
const RETRY_MIN_MS = 100;

export interface NatsRelayOptions {
  /** The producer's own database: its outbox and its relay cursor. */
  readonly db: Kysely<unknown>;
  readonly producer: string;
  /** Events of the producer that some subscriber in another process needs; the rest are passed over. */
  readonly events: readonly EventKey[];
  readonly link: NatsLink;
  /** Session advisory locks: the relay runs in one instance at a time, the one that holds its lease. */
  readonly leases: NatsLeases;
  /** Events per subscription batch (EVENTS_BATCH_SIZE); the relay reads {@link RELAY_BATCH_FACTOR} times as many. */
  readonly batchSize: number;
  /** EVENTS_NATS_PARTITIONS: how many partitions of subjects the events are spread over, by key. */
  readonly partitions: number;
  readonly retentionMs: number;
  /** Longest wait between attempts while NATS is away (the reconnect wakes the relay earlier). */
  readonly maxRetryMs: number;
  /** Called with the number of events the stream acknowledged. */
  readonly onRelayed?: (events: number) => void;
  readonly logger: Logger;
}

interface OutboxRow {
  xid: string;
  seq: string;
  id: string;
  name: string;
  version: number;
  key: string | null;
  /** The payload as the outbox stores it (JSON text): it goes into the message as it is. */
  payload: string | null;
  /** The publisher's trace context as stored with the event, taken out of its JSON by the read. */
  traceparent: string | null;
  tracestate: string | null;
  occurred_at: Date;
  /** When the event is due, if it was published for later (`clock.at`): the subscriber elsewhere waits for it too. */
  deliver_at: Date | null;
  partition: number;
  crosses: boolean;
}

/** The message body of an event on NATS; the event id also travels as `Nats-Msg-Id`, the trace context as headers. */
export interface RelayedEvent {
  readonly id: string;
  readonly producer: string;
  readonly name: string;
  readonly version: number;
  readonly key: string | null;
  readonly payload: unknown;
  readonly occurredAt: string;
  /** Present for an event published for later: not to be handled before then. */
  readonly deliverAt?: string;
}

const RELAY = 'nats';
/**
 * A relay's batch costs two statements and one acknowledgement whatever its size, and no handler runs in it, so it
 * reads this many subscription batches' worth at a time.
 */
export const RELAY_BATCH_FACTOR = 5;
/** JetStream's "wrong last sequence" (`Nats-Expected-Last-Sequence` did not match): someone else published meanwhile. */
const WRONG_LAST_SEQUENCE = 10071;

/**
 * Publishes a producer's crossing events from its outbox to its JetStream stream, in outbox order. It reads like a
 * subscription worker (same visibility rule, its own cursor in `seams_relay_cursors`), and the event bus schedules it
 * like one: woken by local commits, NOTIFY from other instances and the poll. One instance relays at a time, the one
 * that holds the relay's session advisory lock; the cursor moves only from where the batch read it, which fences off
 * an instance that lost the lease mid-batch.
 *
 * A batch goes out pipelined, with one acknowledgement for all of it: every message but the last is written without
 * waiting, each with `Nats-Msg-Id` = event id and `Nats-Expected-Last-Sequence` = the stream sequence it must follow,
 * and the last one is published and acknowledged. The stream stores a message only if it comes right after the one
 * before it, so what lands is always a prefix of the batch, in order, never a batch with a hole (a message lost with a
 * connection while later ones were still buffered would otherwise land after them). An acknowledgement of the last
 * message at the expected sequence proves the whole batch is in; only then does the cursor move.
 *
 * Anything else (a timeout, a lost connection, another instance that published meanwhile, an event the stream already
 * had) makes the next batch go out the careful way: one acknowledged publish at a time with no expectation, the stream's
 * duplicate window dropping what it already holds, the cursor moving past what was acknowledged. After one careful
 * batch that went through, the relay is back to pipelining.
 */
export class NatsRelay {
  readonly #o: NatsRelayOptions;
  readonly #lockName: string;
  readonly #crossing: string[];
  readonly #stream: string;
  readonly #batchSize: number;
  readonly #partitions: string;
  readonly #producerJson: string;
  #streamReady = false;
  /** The stream's last sequence as this relay last saw it; undefined when it has to ask. */
  #lastSeq: number | undefined;
  /** The last batch did not go through: publish the next one a message at a time. */
  #careful = true;
  #failures = 0;

  constructor(options: NatsRelayOptions) {
    this.#o = options;
    this.#lockName = `seams:relay:${options.producer}`;
    this.#crossing = [...options.events];
    this.#stream = streamName(options.producer);
    this.#batchSize = options.batchSize * RELAY_BATCH_FACTOR;
    this.#partitions = String(options.partitions);
    this.#producerJson = JSON.stringify(options.producer);
    // A reconnect may be to a server that lost its streams; check again before the next publish.
    options.link.onConnected(() => {
      this.#streamReady = false;
      this.#lastSeq = undefined;
      this.#careful = true;
    });
  }

  /** For the event bus's logs and wake-ups. */
  get module(): string {
    return this.#o.producer;
  }

  get subscription(): string {
    return 'nats-relay';
  }

  /** Creates the cursor row: a new relay starts at the beginning of the outbox (the receivers drop what they have). */
  async ensureCursor(): Promise<void> {
    await sql`insert into seams_relay_cursors (relay) values (${RELAY}) on conflict do nothing`.execute(this.#o.db);
  }

  /** `reading`: as in SubscriptionWorker.runBatch, called just before the outbox is read. */
  async runBatch(reading?: () => void): Promise<BatchOutcome> {
    const o = this.#o;
    if (!o.link.connected) return this.#retryLater();
    if (!(await o.leases.acquire(this.#lockName))) return { busy: true, full: false, hiddenBehindOpenTransaction: false, nextRetryInMs: undefined };

    // No transaction around the batch: the lease says who relays, and the cursor moves only from where this batch
    // read it. A transaction would hold a transaction id across the publish, and every open one holds back what the
    // subscription workers and relays of this database may read (the visibility rule).
    const crosses = sql`(o.name || '@' || o.version) = any(${this.#crossing}::text[])`;
    reading?.();
    const result = (
      await sql<OutboxRow & { cursor_xid: string; cursor_seq: string; hidden: boolean }>`
        with c as (
          -- hidden is used only when the batch is empty: then every committed row past the cursor is one an open
          -- transaction still hides, by this statement's own snapshot, and no second statement is needed.
          select rc.cursor_xid, rc.cursor_seq, ${committedAfterRow('seams_outbox', sql`(rc.cursor_xid, rc.cursor_seq)`)} as hidden from seams_relay_cursors rc where rc.relay = ${RELAY}
        )
        select c.cursor_xid::text as cursor_xid, c.cursor_seq::text as cursor_seq, c.hidden, r.* from c left join lateral (
          select o.xid::text as xid, o.seq::text as seq, o.id, o.name, o.version, o.key, o.occurred_at, o.deliver_at,
                 ${crosses} as crosses,
                 case when ${crosses} then o.payload::text end as payload,
                 case when ${crosses} then o.trace->>'traceparent' end as traceparent,
                 case when ${crosses} then o.trace->>'tracestate' end as tracestate,
                 ${partitionOf('o', o.partitions)} as partition
          from seams_outbox o
          where (o.xid, o.seq) > (c.cursor_xid, c.cursor_seq) and o.xid < pg_snapshot_xmin(pg_current_snapshot())
          -- Qualified: the select list's text xid and seq would sort '10' before '9'.
          order by o.xid, o.seq
          limit ${this.#batchSize}
        ) r on true
        order by r.xid::xid8, r.seq::bigint`.execute(o.db)
    ).rows;
    const head = result[0];
    if (!head) throw new Error(`The NATS relay of "${o.producer}" has no cursor row in seams_relay_cursors`);
    const cursor = { xid: head.cursor_xid, seq: head.cursor_seq };
    // With no events, the left join gives one row of nulls beside the cursor.
    const rows = head.id === null ? [] : result;
    // Nothing to relay (the usual case of a wake-up while the last batch ran): the read said all there is to say.
    if (rows.length === 0) {
      this.#sending();
      return { busy: false, full: false, hiddenBehindOpenTransaction: head.hidden, nextRetryInMs: undefined };
    }

    let sent: OutboxRow | undefined;
    let failed: unknown;
    try {
      const crossing = rows.filter((row) => row.crosses);
      if (crossing.length > 0) await this.#ensureStream();
      if (crossing.length === 0 || (!this.#careful && (await this.#pipelined(crossing)))) sent = rows.at(-1);
      else {
        this.#careful = true;
        for (const row of rows) {
          if (row.crosses) await this.#publishOne(row);
          sent = row;
        }
        this.#careful = false;
      }
    } catch (error) {
      failed = error;
      this.#careful = true;
      this.#lastSeq = undefined;
    }
    const position = sent ?? cursor;
    // The cursor's commit does not wait for the WAL flush: a database crash that loses it only makes the relay send
    // those events again, and the stream's duplicate window or the receivers' event ids drop the copies. A flushed
    // commit here cost a disk flush per batch, and the next events waited behind it.
    const moveCursor = sent
      ? sql`with moved as (update seams_relay_cursors set cursor_xid = ${sent.xid}::xid8, cursor_seq = ${sent.seq}::bigint, updated_at = now()
              where relay = ${RELAY} and cursor_xid = ${cursor.xid}::xid8 and cursor_seq = ${cursor.seq}::bigint returning 1), ${UNFLUSHED_COMMIT}`
      : sql``;
    const full = failed === undefined && rows.length >= this.#batchSize;
    // Any committed event past the position, as in SubscriptionWorker: one hidden at the read may be below the horizon
    // by this statement's newer snapshot, and would otherwise wait for the fallback poll.
    const after = (
      await sql<{ hidden: boolean; moved: number | null }>`${moveCursor}
        select ${full || failed !== undefined ? sql`false` : committedAfter('seams_outbox', position)} as hidden,
          ${sent ? sql`(select count(*)::int from moved) as moved, ${UNFLUSHED_COMMIT_COLUMN}` : sql`null::int as moved`}`.execute(o.db)
    ).rows[0]!;
    if (after.moved === 0) {
      // Another instance moved the cursor meanwhile (the lease changed hands): what we sent, it sent too, and the
      // stream or the receivers drop the second copy.
      o.logger.info('another instance moved the relay cursor meanwhile; going on from there');
      this.#careful = true;
      this.#lastSeq = undefined;
    }

    if (failed !== undefined) {
      this.#streamReady = false;
      return this.#retryLater(failed);
    }
    this.#sending();
    return { busy: false, full, hiddenBehindOpenTransaction: after.hidden, nextRetryInMs: undefined };
  }

  async #ensureStream(): Promise<void> {
    if (this.#streamReady) return;
    await ensureStream(await this.#o.link.manager(), streamConfig(this.#o.producer, this.#o.retentionMs), true);
    this.#streamReady = true;
  }

  /**
   * The fast way (see the class): true when the stream acknowledged the last message right where the batch had to
   * end, false when it did not (the batch must go again, carefully); throws when NATS did not answer.
   */
  async #pipelined(rows: readonly OutboxRow[]): Promise<boolean> {
    const o = this.#o;
    const nc = o.link.connection;
    const js = o.link.jetstream();
    if (!nc || !js || !o.link.connected) throw new Error('NATS is not connected');
    this.#lastSeq ??= (await (await o.link.manager()).streams.info(this.#stream)).state.last_seq;
    const base = this.#lastSeq;
    const last = rows.length - 1;
    for (let i = 0; i < last; i++) {
      const row = rows[i]!;
      const h = this.#headers(row);
      h.set('Nats-Msg-Id', row.id);
      h.set('Nats-Expected-Last-Sequence', String(base + i));
      nc.publish(this.#subject(row), this.#body(row), { headers: h });
    }
    const row = rows[last]!;
    let ack: PubAck;
    try {
      ack = await js.publish(this.#subject(row), this.#body(row), {
        msgID: row.id,
        expect: { lastSequence: base + last },
        headers: this.#headers(row),
        timeout: PUBLISH_TIMEOUT_MS,
      });
    } catch (error) {
      if (!(error instanceof JetStreamApiError) || error.code !== WRONG_LAST_SEQUENCE) throw error;
      o.logger.debug({ producer: o.producer, err: error }, 'the stream moved on while a batch was pipelined; sending it again one at a time');
      this.#careful = true;
      this.#lastSeq = undefined;
      return false;
    }
    // A duplicate proves nothing about the messages before it (the stream checks for duplicates before expectations).
    if (ack.duplicate || ack.seq !== base + rows.length) {
      this.#careful = true;
      this.#lastSeq = undefined;
      return false;
    }
    this.#lastSeq = ack.seq;
    o.onRelayed?.(rows.length);
    return true;
  }

  /** The careful way: one acknowledged publish, deduplicated by the stream against an earlier one of the same event. */
  async #publishOne(row: OutboxRow): Promise<void> {
    const js = this.#o.link.jetstream();
    if (!js || !this.#o.link.connected) throw new Error('NATS is not connected');
    const ack = await js.publish(this.#subject(row), this.#body(row), { msgID: row.id, headers: this.#headers(row), timeout: PUBLISH_TIMEOUT_MS });
    this.#lastSeq = ack.duplicate ? undefined : ack.seq;
    if (!ack.duplicate) this.#o.onRelayed?.(1);
  }

  #subject(row: OutboxRow): string {
    return subjectOf(row.name, row.version, row.partition);
  }

  /** A batch went through: after failures, says that relaying works again. */
  #sending(): void {
    if (this.#failures > 0) this.#o.logger.info('relaying events to NATS again');
    this.#failures = 0;
  }

  #headers(row: OutboxRow): MsgHdrs {
    const h = headers();
    h.set(PARTITIONS_HEADER, this.#partitions);
    // The publisher's trace context as stored with the event: the handler in the other process joins that trace.
    if (row.traceparent) h.set('traceparent', row.traceparent);
    if (row.tracestate) h.set('tracestate', row.tracestate);
    return h;
  }

  /** A {@link RelayedEvent}, written out by hand around the payload's JSON text so it is not parsed and written again. */
  #body(row: OutboxRow): string {
    return (
      `{"id":"${row.id}","producer":${this.#producerJson},"name":${JSON.stringify(row.name)},"version":${row.version},` +
      `"key":${JSON.stringify(row.key)},"occurredAt":"${row.occurred_at.toISOString()}",` +
      (row.deliver_at ? `"deliverAt":"${row.deliver_at.toISOString()}",` : '') +
      `"payload":${row.payload ?? 'null'}}`
    );
  }

  #retryLater(error?: unknown): BatchOutcome {
    this.#failures += 1;
    const delay = Math.min(this.#o.maxRetryMs, RETRY_MIN_MS * 2 ** Math.min(this.#failures - 1, 10));
    if (error !== undefined) {
      // Once per outage at warn: while NATS is away this runs every few seconds.
      const log = this.#failures === 1 ? this.#o.logger.warn.bind(this.#o.logger) : this.#o.logger.debug.bind(this.#o.logger);
      log({ err: error, retryInMs: delay }, 'could not relay events to NATS; they stay in the outbox and are sent when it is back');
    }
    return { busy: false, full: false, hiddenBehindOpenTransaction: false, nextRetryInMs: delay };
  }
}
