import { sql, type Kysely, type QueryResult, type RawBuilder, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import { prepared } from '../db/prepared-statements.ts';
import { systemClock, type Clock } from '../clock.ts';
import { ident } from '../db/provision.ts';
import type { EventMetrics } from './event-metrics.ts';
import { contextFromCarrier, inSpan, SpanKind } from '../telemetry/tracing.ts';
import { committedAfter, committedAfterRow } from './later-events.ts';
import { partitionOf } from './partitioning.ts';
import { retryDelayMs, type RetryPolicy } from './retry-policy.ts';
import type { DeliveredEvent, EventHandler } from './subscription.ts';

export interface SubscriptionWorkerOptions {
  /** The subscriber's database (its role, its schema). */
  readonly db: Kysely<unknown>;
  readonly module: string;
  readonly subscription: string;
  readonly partition: number;
  readonly partitions: number;
  /** Schema of the producing module, whose `seams_outbox` the subscriber may read. */
  readonly producerSchema: string;
  /**
   * The log the worker reads: the producer's `seams_outbox` (the default), or `received` when the producer runs in
   * another process: then the subscriber's own `seams_received`, which the NATS receiver fills. Both have the same
   * shape and the same (xid, seq) order, so everything below works on either.
   */
  readonly source?: 'outbox' | 'received';
  readonly eventName: string;
  /** The version the handler takes. The worker reads every version of the event, and `convert` brings it to this one. */
  readonly eventVersion: number;
  /** A stored payload (in the version it was published in) as the handler's version: see event-versions.ts. */
  readonly convert: (storedVersion: number, payload: unknown) => unknown;
  readonly handler: EventHandler;
  readonly retry: RetryPolicy;
  readonly batchSize: number;
  readonly metrics: EventMetrics;
  /** Already bound to the module and the subscription: lines add only what is theirs (a key twice breaks log pipelines). */
  readonly logger: Logger;
  /** Decides when an event published with a due time (`clock.at`) is due; the system clock unless a test's. */
  readonly clock?: Clock;
}

/** What a batch found; the event bus uses it to decide when to run the worker again. */
export interface BatchOutcome {
  /** Another instance holds this subscription partition right now. */
  readonly busy: boolean;
  /** The batch was full: more events are probably waiting. */
  readonly full: boolean;
  /** How many log rows the batch read (ours or not). */
  readonly events?: number;
  /**
   * Events past what the batch read exist: a still-open transaction hides them (see the visibility rule below), or it
   * did at the batch's read and has ended since. Look again shortly.
   */
  readonly hiddenBehindOpenTransaction: boolean;
  /**
   * In how many ms the earliest parked event is due: for a retry, by the database's clock; a scheduled one, by the
   * app's. Undefined if none.
   */
  readonly nextRetryInMs: number | undefined;
  /** The batch handed events to the handler or parked some: its commit changed what the subscriber holds. */
  readonly changed?: boolean;
}

interface OutboxRow {
  xid: string;
  seq: string;
  id: string;
  version: number;
  key: string | null;
  matches: boolean;
  /** False for an event of ours whose due time (`deliver_at`) has not come yet. */
  due: boolean;
  payload: unknown;
  trace: unknown;
  occurred_at: Date;
}

/** What a handler asked to run once its effects are committed (e.g. business counters). */
type CommitCallbacks = Array<() => void>;

interface ParkedRow {
  id: string;
  event_id: string;
  xid: string;
  seq: string;
  version: number;
  key: string | null;
  payload: unknown;
  trace: unknown;
  occurred_at: Date;
  attempts: number;
}

/** An event as stored in the outbox or the parked table: enough to hand it to the handler again. */
interface StoredEvent {
  id: string;
  xid: string;
  seq: string;
  /** The version it was published in. */
  version: number;
  key: string | null;
  payload: unknown;
  trace: unknown;
  occurred_at: Date;
}

/** Marks the optimistic pass of a batch as failed, so it is redone event by event under savepoints. */
class OptimisticBatchFailed extends Error {}

/**
 * A deadlock or serialization failure: not the event's fault, and the transaction still holds the locks of the events
 * before it, so rolling back to the event's savepoint would only deadlock again. The whole batch is redone.
 */
class TransientConflict extends Error {}

const TRANSIENT_CONFLICT = new Set(['40P01', '40001']);
const MAX_CONFLICT_RETRIES = 5;

function isTransientConflict(error: unknown): boolean {
  return TRANSIENT_CONFLICT.has(String((error as { code?: unknown } | undefined)?.code));
}

/**
 * Reads one subscription partition's events from the producer's outbox and hands them to the handler, a batch per
 * transaction. The transaction also writes the inbox entries and moves the cursor, so effects and progress commit
 * together: every event's effect happens exactly once.
 *
 * Visibility rule (no loss from out-of-order commits): only rows whose transaction id is below the current
 * snapshot's xmin are read. Every transaction that could still commit a row with a smaller position has then ended,
 * so moving the cursor past what we read can never skip an event. The log is read in (xid, seq) order.
 *
 * Several instances: the batch first takes a transaction-scoped advisory lock on (subscription, partition) and skips
 * if another instance has it. A crashed instance's lock goes with its connection; a hung one's with its session,
 * which Postgres ends after `idle_in_transaction_session_timeout`.
 */
export class SubscriptionWorker {
  readonly #o: SubscriptionWorkerOptions;
  readonly #lockName: string;
  /** The table events are read from, as SQL: the producer's outbox, or the subscriber's own received table. */
  readonly #log: string;
  readonly #clock: Clock;

  constructor(options: SubscriptionWorkerOptions) {
    this.#o = options;
    this.#lockName = `seams:${options.module}:${options.subscription}`;
    this.#log = options.source === 'received' ? 'seams_received' : `${ident(options.producerSchema)}.seams_outbox`;
    this.#clock = options.clock ?? systemClock;
  }

  get module(): string {
    return this.#o.module;
  }

  get subscription(): string {
    return this.#o.subscription;
  }

  /** Creates the cursor row if this subscription partition is new. A new subscription reads the outbox from its start. */
  async ensureCursor(producer: string): Promise<void> {
    await sql`insert into seams_subscription_cursors (subscription, partition, producer) values (${this.#o.subscription}, ${this.#o.partition}, ${producer})
              on conflict (subscription, partition) do nothing`.execute(this.#o.db);
  }

  /**
   * Runs one batch. The optimistic pass runs handlers back to back; only if one throws is the batch redone safely.
   * `reading` is called just before the statement that reads the log is sent: whatever committed before that call is
   * in what the batch reads (the event bus uses it to tell the wake-ups the batch covers from those it does not).
   */
  async runBatch(reading?: () => void): Promise<BatchOutcome> {
    let committed: CommitCallbacks = [];
    let outcome: BatchOutcome;
    try {
      outcome = await this.#o.db.transaction().execute((trx) => this.#batch(trx, false, committed, reading));
    } catch (error) {
      if (!(error instanceof OptimisticBatchFailed)) throw error;
      for (let conflicts = 0; ; conflicts++) {
        committed = [];
        try {
          outcome = await this.#o.db.transaction().execute((trx) => this.#batch(trx, true, committed, reading));
          break;
        } catch (retry) {
          if (!(retry instanceof TransientConflict) || conflicts >= MAX_CONFLICT_RETRIES) throw retry;
          // A little jitter, so the two sides of a deadlock do not meet again at once.
          await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * (conflicts + 1)));
        }
      }
    }
    for (const callback of committed) {
      try {
        callback();
      } catch (error) {
        this.#o.logger.warn({ err: error }, 'an after-commit callback of a handler threw');
      }
    }
    return outcome;
  }

  async #batch(trx: Transaction<unknown>, safe: boolean, committed: CommitCallbacks, reading: (() => void) | undefined): Promise<BatchOutcome> {
    const o = this.#o;
    const lock = await runPrepared(trx, sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(hashtext(${this.#lockName}), ${o.partition}) as ok`);
    if (!lock.rows[0]?.ok) return { busy: true, full: false, hiddenBehindOpenTransaction: false, nextRetryInMs: undefined };

    // One round trip for the cursor, the next events and whether anything is parked; the parked state is read again
    // (after retrying what is due) only when there is some, which on a healthy subscription there is not.
    const now = this.#clock.now();
    reading?.();
    const { cursor, rows, parked, retryDue, later, claimed } = await this.#read(trx, !safe, now);
    // Nothing to read and nothing parked (a wake-up or recheck that came too early, common under load): the read
    // already said whether events wait behind an open transaction, and with nothing parked there is no retry to time.
    if (rows.length === 0 && !parked) return { busy: false, full: false, events: 0, hiddenBehindOpenTransaction: later, nextRetryInMs: undefined, changed: false };
    let blocked = new Set<string>();
    if (retryDue) await this.#retryDue(trx, committed, now);
    if (parked) blocked = await this.#blockedKeys(trx);

    const mine = rows.filter((row) => row.matches);
    const fresh = mine.filter((row) => row.due && (row.key === null || !blocked.has(row.key)));
    const held = mine.filter((row) => row.key !== null && blocked.has(row.key));
    const notYetDue = mine.filter((row) => !row.due && (row.key === null || !blocked.has(row.key)));

    if (!safe && notYetDue.some((row) => row.key !== null && fresh.some((other) => other.key === row.key && mine.indexOf(other) > mine.indexOf(row)))) {
      // An event due later holds back the events after it with its key; sorting that out is the safe pass's job.
      throw new OptimisticBatchFailed();
    }

    if (safe) {
      for (const row of mine) {
        if (row.key !== null && blocked.has(row.key)) {
          await this.#park(trx, row, 'waiting', 0, null);
          continue;
        }
        if (!row.due) {
          await this.#park(trx, row, 'scheduled', 0, null);
          if (row.key !== null) blocked.add(row.key);
          continue;
        }
        const error = await this.#handleSafely(trx, row, 1, committed);
        if (error !== undefined) {
          await this.#parkFailure(trx, row, 1, error);
          if (row.key !== null) blocked.add(row.key);
        }
      }
    } else {
      for (const row of held) await this.#park(trx, row, 'waiting', 0, null);
      for (const row of notYetDue) await this.#park(trx, row, 'scheduled', 0, null);
      const firstTime = claimed ?? (await this.#claimInbox(trx, fresh));
      for (const row of fresh) {
        if (!firstTime.has(row.id)) continue;
        try {
          await this.#run(trx, row, 1, committed);
        } catch (error) {
          o.logger.debug({ err: error, eventId: row.id }, 'handler failed in the optimistic pass; redoing the batch event by event');
          throw new OptimisticBatchFailed();
        }
      }
      o.metrics.delivered.add(firstTime.size, { module: o.module, subscription: o.subscription });
    }

    // One round trip for moving the cursor, looking for events an open transaction still hides, and the next retry.
    const last = rows.at(-1);
    const full = rows.length >= o.batchSize;
    const position = last ?? cursor;
    const moveCursor = last
      ? sql`with moved as (update seams_subscription_cursors set cursor_xid = ${last.xid}::xid8, cursor_seq = ${last.seq}::bigint, updated_at = now()
              where subscription = ${o.subscription} and partition = ${o.partition} returning 1)`
      : sql``;
    // Any committed event past the new position, not only those still below the horizon: this statement has a newer
    // snapshot than #read's. An event hidden at the read whose blocker ended since reads as below the horizon here;
    // with an "xid >= xmin" test it counted as neither read nor hidden, and as its commit's wake-up had already run this
    // batch, it waited for the fallback poll (a quarter of the split topology's orders, 0.3-1.8 s).
    const hiddenCheck = full
      ? sql`false`
      : committedAfter(this.#log, position);
    const after = (
      await runPrepared(
        trx,
        sql<{ hidden: boolean; in_ms: number | null; scheduled_in_ms: number | null }>`${moveCursor}
        select ${hiddenCheck} as hidden,
               -- Measured on the database's clock, which also decides when a retry is due: an app clock that runs
               -- ahead would otherwise spin on a retry that is not due yet.
               -- greatest() skips nulls, so without the case "nothing parked" would read as "due now" and spin.
               (select case when min(next_attempt_at) is null then null
                            else greatest(0, extract(epoch from min(next_attempt_at) - clock_timestamp()) * 1000)::float8 end from seams_parked
                where subscription = ${o.subscription} and partition = ${o.partition} and status = 'retrying') as in_ms,
               -- A scheduled event is due by the app's clock, which a test may have moved.
               (select case when min(next_attempt_at) is null then null
                            else greatest(0, extract(epoch from min(next_attempt_at) - ${now}::timestamptz) * 1000)::float8 end from seams_parked
                where subscription = ${o.subscription} and partition = ${o.partition} and status = 'scheduled') as scheduled_in_ms
               ${last ? sql`, (select count(*) from moved) as moved` : sql``}`,
      )
    ).rows[0]!;
    const next = [after.in_ms, after.scheduled_in_ms].filter((ms): ms is number => ms !== null);
    return { busy: false, full, events: rows.length, hiddenBehindOpenTransaction: after.hidden, nextRetryInMs: next.length > 0 ? Math.min(...next) : undefined, changed: mine.length > 0 || retryDue };
  }

  /**
   * The cursor and, in (xid, seq) order from it, up to a batch of outbox rows below the visibility horizon, with
   * whether this partition has parked events and whether any is due for a retry. Every row up to the horizon comes
   * back so the cursor can pass rows that are not ours; only ours carry a payload.
   *
   * With `claim` (the optimistic pass) and nothing parked, the same statement also writes our events' inbox rows, as
   * #claimInbox would, and says which were new (`claimed`): then every event of ours is fresh, since no key is held
   * back. Otherwise nothing is claimed here, `claimed` is undefined, and the caller claims after sorting out what is
   * held. The safe pass never claims here: it claims each event under its own savepoint.
   */
  async #read(
    trx: Transaction<unknown>,
    claim: boolean,
    now: Date,
  ): Promise<{ cursor: { xid: string; seq: string }; rows: OutboxRow[]; parked: boolean; retryDue: boolean; later: boolean; claimed: Set<string> | undefined }> {
    const o = this.#o;
    const result = (
      await runPrepared(
        trx,
        sql<OutboxRow & { cursor_xid: string; cursor_seq: string; parked: boolean; retry_due: boolean; later: boolean; first_time: boolean | null }>`
        with c as (
          select cursor_xid, cursor_seq from seams_subscription_cursors where subscription = ${o.subscription} and partition = ${o.partition}
        ), state as (
          select exists (select 1 from seams_parked where subscription = ${o.subscription} and partition = ${o.partition}) as parked,
                 exists (select 1 from seams_parked where subscription = ${o.subscription} and partition = ${o.partition}
                         and ${dueParked(now)}) as retry_due,
                 -- Whether any committed row is past the cursor, by this statement's snapshot: when the read finds
                 -- none below the horizon, those are the ones an open transaction hides (see #batch's short way out).
                 (select ${committedAfterRow(this.#log, sql`(c.cursor_xid, c.cursor_seq)`)} from c) as later
        ), r as materialized (
          select l.* from c cross join lateral (
            select o.xid, o.seq, o.id, o.version, o.key, o.occurred_at,
                   -- Every version of the event: the handler gets each one converted to the version it takes.
                   o.name = ${o.eventName} and ${partitionOf('o', o.partitions)} = ${o.partition} as matches,
                   case when o.name = ${o.eventName} then o.payload end as payload,
                   case when o.name = ${o.eventName} then o.trace end as trace,
                   o.deliver_at is null or o.deliver_at <= ${now}::timestamptz as due
            from ${sql.raw(this.#log)} o
            where (o.xid, o.seq) > (c.cursor_xid, c.cursor_seq)
              and o.xid < pg_snapshot_xmin(pg_current_snapshot())
            order by o.xid, o.seq
            limit ${o.batchSize}
          ) l
        ), claimed as (
          insert into seams_inbox (subscription, event_id, event_xid, event_seq)
          select ${o.subscription}, r.id, r.xid, r.seq from r, state where r.matches and r.due and not state.parked and ${claim}::boolean
          on conflict do nothing
          returning event_id
        )
        select c.cursor_xid::text as cursor_xid, c.cursor_seq::text as cursor_seq, state.parked, state.retry_due, state.later,
               r.xid::text as xid, r.seq::text as seq, r.id, r.version, r.key, r.occurred_at, r.trace, r.matches, r.due, r.payload,
               r.id in (select event_id from claimed) as first_time
        from c cross join state left join r on true
        -- Qualified: a bare "xid, seq" would sort by the text columns of the select list ('10' < '9'), which reorders
        -- events and, when the limit cuts the batch, moves the cursor past events never read.
        order by r.xid, r.seq`,
      )
    ).rows;
    const head = result[0];
    if (!head) throw new Error(`Subscription ${o.module}/${o.subscription} has no cursor for partition ${o.partition}`);
    // With no events, the left join gives one row of nulls beside the cursor.
    const rows = head.id === null ? [] : result;
    return {
      cursor: { xid: head.cursor_xid, seq: head.cursor_seq },
      rows,
      parked: head.parked,
      retryDue: head.retry_due,
      later: head.later,
      claimed: claim && !head.parked ? new Set(rows.filter((row) => row.first_time).map((row) => row.id)) : undefined,
    };
  }

  /** Keys whose events wait behind a parked event of this partition: later events with those keys are held too. */
  async #blockedKeys(trx: Transaction<unknown>): Promise<Set<string>> {
    const o = this.#o;
    const rows = (
      await sql<{ key: string }>`select distinct key from seams_parked where subscription = ${o.subscription} and partition = ${o.partition} and key is not null`.execute(trx)
    ).rows;
    return new Set(rows.map((row) => row.key));
  }

  /** Retries parked events whose time has come: the head of each key, then whatever waited behind it, in order. */
  async #retryDue(trx: Transaction<unknown>, committed: CommitCallbacks, now: Date): Promise<void> {
    const o = this.#o;
    const due = (
      await sql<ParkedRow>`select id::text as id, event_id, xid::text as xid, seq::text as seq, version, key, payload, trace, occurred_at, attempts from seams_parked
        where subscription = ${o.subscription} and partition = ${o.partition} and ${dueParked(now)}
        order by seams_parked.xid, seams_parked.seq limit ${o.batchSize}`.execute(trx)
    ).rows;
    for (const parked of due) {
      const attempt = parked.attempts + 1;
      const error = await this.#handleSafely(trx, { ...parked, id: parked.event_id }, attempt, committed);
      if (error !== undefined) {
        await this.#recordFailure(trx, parked.id, attempt, error);
        continue;
      }
      await sql`delete from seams_parked where id = ${parked.id}::bigint`.execute(trx);
      if (parked.key !== null) await this.#drainWaiting(trx, parked.key, committed);
    }
  }

  /** Handles, in order, the events that waited behind a key's failed head, until one fails and becomes the new head. */
  async #drainWaiting(trx: Transaction<unknown>, key: string, committed: CommitCallbacks): Promise<void> {
    const o = this.#o;
    const waiting = (
      await sql<ParkedRow>`select id::text as id, event_id, xid::text as xid, seq::text as seq, version, key, payload, trace, occurred_at, attempts from seams_parked
        where subscription = ${o.subscription} and partition = ${o.partition} and key = ${key} and status = 'waiting'
        -- Qualified, as in #read: the select list's text xid and seq would sort '10' before '9'.
        order by seams_parked.xid, seams_parked.seq`.execute(trx)
    ).rows;
    for (const parked of waiting) {
      const error = await this.#handleSafely(trx, { ...parked, id: parked.event_id }, 1, committed);
      if (error !== undefined) {
        await this.#recordFailure(trx, parked.id, 1, error);
        return;
      }
      await sql`delete from seams_parked where id = ${parked.id}::bigint`.execute(trx);
    }
  }

  /** Runs the handler under a savepoint; returns the error it threw, with its effects undone, or undefined. */
  async #handleSafely(trx: Transaction<unknown>, row: StoredEvent, attempt: number, committed: CommitCallbacks): Promise<unknown> {
    const o = this.#o;
    await sql`savepoint seams_event`.execute(trx);
    try {
      const firstTime = await this.#claimInbox(trx, [row]);
      if (firstTime.size > 0) {
        await this.#run(trx, row, attempt, committed);
        o.metrics.delivered.add(1, { module: o.module, subscription: o.subscription });
      }
      await sql`release savepoint seams_event`.execute(trx);
      return undefined;
    } catch (error) {
      if (isTransientConflict(error)) throw new TransientConflict('deadlock or serialization failure; redoing the batch', { cause: error });
      await sql`rollback to savepoint seams_event`.execute(trx);
      o.metrics.failed.add(1, { module: o.module, subscription: o.subscription });
      o.logger.warn({ err: error, eventId: row.id, event: o.eventName, attempt }, 'event handler failed');
      return error ?? new Error('handler threw nothing');
    }
  }

  /** Inserts inbox rows; returns the ids not seen before. A redelivered event is skipped, never applied twice. */
  async #claimInbox(trx: Transaction<unknown>, events: ReadonlyArray<{ id: string; xid: string; seq: string }>): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    const inserted = await runPrepared(
      trx,
      sql<{ event_id: string }>`insert into seams_inbox (subscription, event_id, event_xid, event_seq)
      select ${this.#o.subscription}, * from unnest(${events.map((e) => e.id)}::uuid[], ${events.map((e) => e.xid)}::xid8[], ${events.map((e) => e.seq)}::bigint[])
      on conflict do nothing returning event_id`,
    );
    return new Set(inserted.rows.map((row) => row.event_id));
  }

  /**
   * Runs the handler in a span of the publisher's trace, timed. Its after-commit callbacks join the batch's only if it
   * succeeds, so a rolled-back attempt leaves no trace in counters.
   */
  async #run(trx: Transaction<unknown>, row: StoredEvent, attempt: number, committed: CommitCallbacks): Promise<void> {
    const o = this.#o;
    const callbacks: CommitCallbacks = [];
    const event: DeliveredEvent = {
      id: row.id,
      name: o.eventName,
      version: o.eventVersion,
      key: row.key,
      // Throws for a version it cannot convert: the event is parked as if the handler had failed.
      payload: o.convert(row.version, row.payload),
      occurredAt: row.occurred_at,
      attempt,
      afterCommit: (callback) => void callbacks.push(callback),
    };
    const started = performance.now();
    try {
      await inSpan(
        `${o.eventName} handle`,
        {
          kind: SpanKind.CONSUMER,
          parent: contextFromCarrier(row.trace),
          attributes: {
            'seams.module': o.module,
            'seams.event': o.eventName,
            'seams.event_version': o.eventVersion,
            'seams.event_id': row.id,
            'seams.subscription': o.subscription,
            'seams.attempt': attempt,
          },
        },
        () => o.handler(event, trx),
      );
    } finally {
      o.metrics.handlerDuration.record((performance.now() - started) / 1000, { module: o.module, subscription: o.subscription });
    }
    committed.push(...callbacks);
  }

  async #parkFailure(trx: Transaction<unknown>, row: OutboxRow, attempt: number, error: unknown): Promise<void> {
    const dead = attempt >= this.#o.retry.maxAttempts;
    await this.#park(trx, row, dead ? 'dead' : 'retrying', attempt, error);
    if (dead) this.#deadLettered(row.id, error);
  }

  async #park(trx: Transaction<unknown>, row: OutboxRow, status: 'retrying' | 'waiting' | 'dead' | 'scheduled', attempts: number, error: unknown): Promise<void> {
    const o = this.#o;
    const delayMs = status === 'retrying' ? retryDelayMs(o.retry, attempts) : null;
    const nextAttempt = status === 'scheduled' ? sql`o.deliver_at` : retryTime(delayMs);
    await sql`insert into seams_parked (subscription, partition, event_id, name, version, key, payload, trace, occurred_at, xid, seq, status, attempts, last_error, next_attempt_at)
      select ${o.subscription}, ${o.partition}, o.id, o.name, o.version, o.key, o.payload, o.trace, o.occurred_at, o.xid, o.seq,
             ${status}, ${attempts}, ${error === null ? null : describe(error)}, ${nextAttempt}
      from ${sql.raw(this.#log)} o where o.xid = ${row.xid}::xid8 and o.seq = ${row.seq}::bigint
      on conflict (subscription, event_id) do nothing`.execute(trx);
  }

  async #recordFailure(trx: Transaction<unknown>, parkedId: string, attempt: number, error: unknown): Promise<void> {
    const dead = attempt >= this.#o.retry.maxAttempts;
    const delayMs = dead ? null : retryDelayMs(this.#o.retry, attempt);
    await sql`update seams_parked set status = ${dead ? 'dead' : 'retrying'}, attempts = ${attempt}, last_error = ${describe(error)},
              next_attempt_at = ${retryTime(delayMs)}, updated_at = now() where id = ${parkedId}::bigint`.execute(trx);
    if (dead) this.#deadLettered(parkedId, error);
  }

  #deadLettered(id: string, error: unknown): void {
    this.#o.metrics.deadLettered.add(1, { module: this.#o.module, subscription: this.#o.subscription });
    this.#o.logger.error({ err: error, parked: id }, 'event delivery dead-lettered');
  }
}


/**
 * Runs a statement of the batch as a prepared statement (see prepared-statements.ts): each has a fixed text per worker,
 * and planning the read and the cursor move cost about a third of their time on the server.
 */
function runPrepared<R>(trx: Transaction<unknown>, query: RawBuilder<R>): Promise<QueryResult<R>> {
  return trx.executeQuery(prepared(query.compile(trx)));
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 2000);
  return String(error).slice(0, 2000);
}

/**
 * Parked events whose time has come: a retry by the database's clock (which set it), a scheduled event by the app's
 * clock (which a test may move).
 */
function dueParked(now: Date) {
  return sql`((status = 'retrying' and next_attempt_at <= clock_timestamp()) or (status = 'scheduled' and next_attempt_at <= ${now}::timestamptz))`;
}

/** A retry time on the database's clock, the one that decides when it is due. */
function retryTime(delayMs: number | null) {
  return delayMs === null ? null : sql`clock_timestamp() + make_interval(secs => ${delayMs / 1000}::float8)`;
}
