import { headers } from '@nats-io/transport-node';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { BatchOutcome } from './subscription-worker.ts';
import { ensureStream, streamConfig, subjectOf, type NatsLink } from './nats-connection.ts';
import type { EventKey } from './event-topology.ts';

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
  readonly batchSize: number;
  readonly retentionMs: number;
  /** Longest wait between attempts while NATS is away (the reconnect wakes the relay earlier). */
  readonly maxRetryMs: number;
  readonly logger: Logger;
}

interface OutboxRow {
  xid: string;
  seq: string;
  id: string;
  name: string;
  version: number;
  key: string | null;
  payload: unknown;
  trace: Record<string, string> | null;
  occurred_at: Date;
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
}

const RELAY = 'nats';

/**
 * Publishes a producer's crossing events from its outbox to its JetStream stream, in outbox order. It reads exactly
 * like a subscription worker (same visibility rule, its own cursor in `seams_relay_cursors`, a transaction-scoped
 * advisory lock as the lease between instances), and the event bus schedules it like one: woken by local commits,
 * NOTIFY from other instances and the poll.
 *
 * Each event is published with `Nats-Msg-Id` = event id, and the next one only after the stream acknowledged it, so
 * the stream holds the events in outbox order even across a lost connection (pipelined publishes could land out of
 * order after a reconnect). The cursor moves past what was acknowledged, in the same transaction that read it. When a
 * publish fails (NATS down, timeout), what was acknowledged is kept, the rest stays in the outbox and is tried again
 * later; a publish that did reach the stream is dropped the second time by the stream's duplicate window.
 */
export class NatsRelay {
  readonly #o: NatsRelayOptions;
  readonly #lockName: string;
  readonly #subjects: ReadonlyMap<string, string>;
  #streamReady = false;
  #failures = 0;

  constructor(options: NatsRelayOptions) {
    this.#o = options;
    this.#lockName = `seams:relay:${options.producer}`;
    this.#subjects = new Map(
      options.events.map((key) => {
        const at = key.lastIndexOf('@');
        return [key, subjectOf(key.slice(0, at), Number(key.slice(at + 1)))];
      }),
    );
    // A reconnect may be to a server that lost its streams; check again before the next publish.
    options.link.onConnected(() => {
      this.#streamReady = false;
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

  async runBatch(): Promise<BatchOutcome> {
    if (!this.#o.link.connected) return this.#retryLater();
    return this.#o.db.transaction().execute((trx) => this.#batch(trx));
  }

  async #batch(trx: Transaction<unknown>): Promise<BatchOutcome> {
    const o = this.#o;
    const lock = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(hashtext(${this.#lockName}), 0) as ok`.execute(trx);
    if (!lock.rows[0]?.ok) return { busy: true, full: false, hiddenBehindOpenTransaction: false, nextRetryInMs: undefined };

    const rows = (
      await sql<OutboxRow>`
        select o.xid::text as xid, o.seq::text as seq, o.id, o.name, o.version, o.key, o.occurred_at,
               (o.name || '@' || o.version) = any(${[...this.#subjects.keys()]}::text[]) as crosses,
               case when (o.name || '@' || o.version) = any(${[...this.#subjects.keys()]}::text[]) then o.payload end as payload,
               case when (o.name || '@' || o.version) = any(${[...this.#subjects.keys()]}::text[]) then o.trace end as trace
        from seams_relay_cursors c
        join seams_outbox o on (o.xid, o.seq) > (c.cursor_xid, c.cursor_seq)
        where c.relay = ${RELAY} and o.xid < pg_snapshot_xmin(pg_current_snapshot())
        -- Qualified: the select list's text xid and seq would sort '10' before '9'.
        order by o.xid, o.seq
        limit ${o.batchSize}`.execute(trx)
    ).rows;

    let sent: OutboxRow | undefined;
    let failed: unknown;
    for (const row of rows) {
      if (row.crosses) {
        try {
          await this.#publish(row);
        } catch (error) {
          failed = error;
          break;
        }
      }
      sent = row;
    }
    const position = sent ?? (await this.#cursor(trx));
    const moveCursor = sent
      ? sql`with moved as (update seams_relay_cursors set cursor_xid = ${sent.xid}::xid8, cursor_seq = ${sent.seq}::bigint, updated_at = now()
              where relay = ${RELAY} returning 1)`
      : sql``;
    const full = failed === undefined && rows.length >= o.batchSize;
    // Any committed event past the position, as in SubscriptionWorker: one hidden at the read may be below the horizon
    // by this statement's newer snapshot, and would otherwise wait for the fallback poll.
    const after = (
      await sql<{ hidden: boolean }>`${moveCursor}
        select ${full || failed !== undefined ? sql`false` : sql`exists (select 1 from seams_outbox
          where (xid, seq) > (${position.xid}::xid8, ${position.seq}::bigint))`} as hidden
          ${sent ? sql`, (select count(*) from moved) as moved` : sql``}`.execute(trx)
    ).rows[0]!;

    if (failed !== undefined) {
      this.#streamReady = false;
      return this.#retryLater(failed);
    }
    if (this.#failures > 0) o.logger.info('relaying events to NATS again');
    this.#failures = 0;
    return { busy: false, full, hiddenBehindOpenTransaction: after.hidden, nextRetryInMs: undefined };
  }

  async #cursor(trx: Transaction<unknown>): Promise<{ xid: string; seq: string }> {
    const { rows } = await sql<{ xid: string; seq: string }>`select cursor_xid::text as xid, cursor_seq::text as seq from seams_relay_cursors
      where relay = ${RELAY}`.execute(trx);
    if (!rows[0]) throw new Error(`The NATS relay of "${this.#o.producer}" has no cursor row in seams_relay_cursors`);
    return rows[0];
  }

  async #publish(row: OutboxRow): Promise<void> {
    const o = this.#o;
    const js = o.link.jetstream();
    if (!js || !o.link.connected) throw new Error('NATS is not connected');
    if (!this.#streamReady) {
      await ensureStream(await o.link.manager(), streamConfig(o.producer, o.retentionMs), true);
      this.#streamReady = true;
    }
    const h = headers();
    // The publisher's trace context as stored with the event: the handler in the other process joins that trace.
    for (const field of ['traceparent', 'tracestate'] as const) {
      const value = row.trace?.[field];
      if (typeof value === 'string' && value !== '') h.set(field, value);
    }
    const body: RelayedEvent = {
      id: row.id,
      producer: o.producer,
      name: row.name,
      version: row.version,
      key: row.key,
      payload: row.payload,
      occurredAt: row.occurred_at.toISOString(),
    };
    await js.publish(this.#subjects.get(`${row.name}@${row.version}`)!, JSON.stringify(body), { msgID: row.id, headers: h, timeout: PUBLISH_TIMEOUT_MS });
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
