import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import { ident } from '../db/provision.ts';
import type { EventMetrics } from './event-metrics.ts';
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
  readonly eventName: string;
  readonly eventVersion: number;
  readonly handler: EventHandler;
  readonly retry: RetryPolicy;
  readonly batchSize: number;
  readonly metrics: EventMetrics;
  readonly logger: Logger;
}

/** What a batch found; the event bus uses it to decide when to run the worker again. */
export interface BatchOutcome {
  /** Another instance holds this subscription partition right now. */
  readonly busy: boolean;
  /** The batch was full: more events are probably waiting. */
  readonly full: boolean;
  /** Events exist that a still-open transaction hides from us (see the visibility rule below); look again shortly. */
  readonly hiddenBehindOpenTransaction: boolean;
  /** When the earliest parked event is due for a retry, if any. */
  readonly nextRetryAt: Date | undefined;
}

interface OutboxRow {
  xid: string;
  seq: string;
  id: string;
  key: string | null;
  matches: boolean;
  payload: unknown;
  occurred_at: Date;
}

interface ParkedRow {
  id: string;
  event_id: string;
  xid: string;
  seq: string;
  key: string | null;
  payload: unknown;
  occurred_at: Date;
  attempts: number;
}

/** Marks the optimistic pass of a batch as failed, so it is redone event by event under savepoints. */
class OptimisticBatchFailed extends Error {}

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
  readonly #eventKey: string;
  readonly #outbox: string;

  constructor(options: SubscriptionWorkerOptions) {
    this.#o = options;
    this.#lockName = `seams:${options.module}:${options.subscription}`;
    this.#eventKey = `${options.eventName}@${options.eventVersion}`;
    this.#outbox = `${ident(options.producerSchema)}.seams_outbox`;
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

  /** Runs one batch. The optimistic pass runs handlers back to back; only if one throws is the batch redone safely. */
  async runBatch(): Promise<BatchOutcome> {
    try {
      return await this.#o.db.transaction().execute((trx) => this.#batch(trx, false));
    } catch (error) {
      if (!(error instanceof OptimisticBatchFailed)) throw error;
      return await this.#o.db.transaction().execute((trx) => this.#batch(trx, true));
    }
  }

  async #batch(trx: Transaction<unknown>, safe: boolean): Promise<BatchOutcome> {
    const o = this.#o;
    const lock = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(hashtext(${this.#lockName}), ${o.partition}) as ok`.execute(trx);
    if (!lock.rows[0]?.ok) return { busy: true, full: false, hiddenBehindOpenTransaction: false, nextRetryAt: undefined };

    await this.#retryDue(trx);

    const blocked = new Set(
      (
        await sql<{ key: string }>`select distinct key from seams_parked where subscription = ${o.subscription} and partition = ${o.partition} and key is not null`.execute(trx)
      ).rows.map((row) => row.key),
    );
    const cursor = (
      await sql<{ xid: string; seq: string }>`select cursor_xid::text as xid, cursor_seq::text as seq from seams_subscription_cursors
        where subscription = ${o.subscription} and partition = ${o.partition}`.execute(trx)
    ).rows[0];
    if (!cursor) throw new Error(`Subscription ${o.module}/${o.subscription} has no cursor for partition ${o.partition}`);

    // Every row up to the horizon comes back so the cursor can pass rows that are not ours; only ours carry a payload.
    const rows = (
      await sql<OutboxRow>`
        select xid::text as xid, seq::text as seq, id, key, occurred_at,
               (name || '@' || version) = ${this.#eventKey} and mod(abs(hashtext(coalesce(key, id::text))), ${o.partitions}) = ${o.partition} as matches,
               case when (name || '@' || version) = ${this.#eventKey} then payload end as payload
        from ${sql.raw(this.#outbox)} o
        where (o.xid, o.seq) > (${cursor.xid}::xid8, ${cursor.seq}::bigint)
          and o.xid < pg_snapshot_xmin(pg_current_snapshot())
        -- Qualified: a bare "xid, seq" would sort by the text columns of the select list ('10' < '9'), which reorders
        -- events and, when the limit cuts the batch, moves the cursor past events never read.
        order by o.xid, o.seq
        limit ${o.batchSize}`.execute(trx)
    ).rows;

    const mine = rows.filter((row) => row.matches);
    const fresh = mine.filter((row) => row.key === null || !blocked.has(row.key));
    const held = mine.filter((row) => row.key !== null && blocked.has(row.key));

    if (safe) {
      for (const row of mine) {
        if (row.key !== null && blocked.has(row.key)) {
          await this.#park(trx, row, 'waiting', 0, null);
          continue;
        }
        const error = await this.#handleSafely(trx, this.#delivered(row, 1), row);
        if (error !== undefined) {
          await this.#parkFailure(trx, row, 1, error);
          if (row.key !== null) blocked.add(row.key);
        }
      }
    } else {
      for (const row of held) await this.#park(trx, row, 'waiting', 0, null);
      const firstTime = await this.#claimInbox(trx, fresh);
      for (const row of fresh) {
        if (!firstTime.has(row.id)) continue;
        try {
          await this.#timed(() => o.handler(this.#delivered(row, 1), trx));
        } catch (error) {
          o.logger.debug({ err: error, eventId: row.id }, 'handler failed in the optimistic pass; redoing the batch event by event');
          throw new OptimisticBatchFailed();
        }
      }
      o.metrics.delivered.inc({ subscription: o.subscription }, firstTime.size);
    }

    const last = rows.at(-1);
    if (last) {
      await sql`update seams_subscription_cursors set cursor_xid = ${last.xid}::xid8, cursor_seq = ${last.seq}::bigint, updated_at = now()
                where subscription = ${o.subscription} and partition = ${o.partition}`.execute(trx);
    }

    const full = rows.length >= o.batchSize;
    let hidden = false;
    if (!full) {
      const position = last ?? cursor;
      hidden = (
        await sql<{ hidden: boolean }>`select exists (select 1 from ${sql.raw(this.#outbox)}
          where (xid, seq) > (${position.xid}::xid8, ${position.seq}::bigint) and xid >= pg_snapshot_xmin(pg_current_snapshot())) as hidden`.execute(trx)
      ).rows[0]!.hidden;
    }
    const nextRetry = (
      await sql<{ at: Date | null }>`select min(next_attempt_at) as at from seams_parked
        where subscription = ${o.subscription} and partition = ${o.partition} and status = 'retrying'`.execute(trx)
    ).rows[0]?.at;
    return { busy: false, full, hiddenBehindOpenTransaction: hidden, nextRetryAt: nextRetry ?? undefined };
  }

  /** Retries parked events whose time has come: the head of each key, then whatever waited behind it, in order. */
  async #retryDue(trx: Transaction<unknown>): Promise<void> {
    const o = this.#o;
    const due = (
      await sql<ParkedRow>`select id::text as id, event_id, xid::text as xid, seq::text as seq, key, payload, occurred_at, attempts from seams_parked
        where subscription = ${o.subscription} and partition = ${o.partition} and status = 'retrying' and next_attempt_at <= now()
        order by xid, seq limit ${o.batchSize}`.execute(trx)
    ).rows;
    for (const parked of due) {
      const attempt = parked.attempts + 1;
      const error = await this.#handleSafely(trx, this.#delivered({ ...parked, id: parked.event_id }, attempt), { id: parked.event_id, xid: parked.xid, seq: parked.seq });
      if (error !== undefined) {
        await this.#recordFailure(trx, parked.id, attempt, error);
        continue;
      }
      await sql`delete from seams_parked where id = ${parked.id}::bigint`.execute(trx);
      if (parked.key !== null) await this.#drainWaiting(trx, parked.key);
    }
  }

  /** Handles, in order, the events that waited behind a key's failed head, until one fails and becomes the new head. */
  async #drainWaiting(trx: Transaction<unknown>, key: string): Promise<void> {
    const o = this.#o;
    const waiting = (
      await sql<ParkedRow>`select id::text as id, event_id, xid::text as xid, seq::text as seq, key, payload, occurred_at, attempts from seams_parked
        where subscription = ${o.subscription} and partition = ${o.partition} and key = ${key} and status = 'waiting'
        order by xid, seq`.execute(trx)
    ).rows;
    for (const parked of waiting) {
      const error = await this.#handleSafely(trx, this.#delivered({ ...parked, id: parked.event_id }, 1), { id: parked.event_id, xid: parked.xid, seq: parked.seq });
      if (error !== undefined) {
        await this.#recordFailure(trx, parked.id, 1, error);
        return;
      }
      await sql`delete from seams_parked where id = ${parked.id}::bigint`.execute(trx);
    }
  }

  /** Runs the handler under a savepoint; returns the error it threw, with its effects undone, or undefined. */
  async #handleSafely(trx: Transaction<unknown>, event: DeliveredEvent, position: { id: string; xid: string; seq: string }): Promise<unknown> {
    const o = this.#o;
    await sql`savepoint seams_event`.execute(trx);
    try {
      const firstTime = await this.#claimInbox(trx, [position]);
      if (firstTime.size > 0) {
        await this.#timed(() => o.handler(event, trx));
        o.metrics.delivered.inc({ subscription: o.subscription });
      }
      await sql`release savepoint seams_event`.execute(trx);
      return undefined;
    } catch (error) {
      await sql`rollback to savepoint seams_event`.execute(trx);
      o.metrics.failed.inc({ subscription: o.subscription });
      o.logger.warn({ err: error, eventId: event.id, event: o.eventName, attempt: event.attempt, subscription: o.subscription }, 'event handler failed');
      return error ?? new Error('handler threw nothing');
    }
  }

  /** Inserts inbox rows; returns the ids not seen before. A redelivered event is skipped, never applied twice. */
  async #claimInbox(trx: Transaction<unknown>, events: ReadonlyArray<{ id: string; xid: string; seq: string }>): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    const inserted = await sql<{ event_id: string }>`insert into seams_inbox (subscription, event_id, event_xid, event_seq)
      select ${this.#o.subscription}, * from unnest(${events.map((e) => e.id)}::uuid[], ${events.map((e) => e.xid)}::xid8[], ${events.map((e) => e.seq)}::bigint[])
      on conflict do nothing returning event_id`.execute(trx);
    return new Set(inserted.rows.map((row) => row.event_id));
  }

  async #timed(run: () => Promise<void>): Promise<void> {
    const stop = this.#o.metrics.handlerDuration.startTimer({ subscription: this.#o.subscription });
    try {
      await run();
    } finally {
      stop();
    }
  }

  async #parkFailure(trx: Transaction<unknown>, row: OutboxRow, attempt: number, error: unknown): Promise<void> {
    const dead = attempt >= this.#o.retry.maxAttempts;
    await this.#park(trx, row, dead ? 'dead' : 'retrying', attempt, error);
    if (dead) this.#deadLettered(row.id, error);
  }

  async #park(trx: Transaction<unknown>, row: OutboxRow, status: 'retrying' | 'waiting' | 'dead', attempts: number, error: unknown): Promise<void> {
    const o = this.#o;
    const nextAttemptAt = status === 'retrying' ? new Date(Date.now() + retryDelayMs(o.retry, attempts)) : null;
    await sql`insert into seams_parked (subscription, partition, event_id, name, version, key, payload, trace, occurred_at, xid, seq, status, attempts, last_error, next_attempt_at)
      select ${o.subscription}, ${o.partition}, o.id, o.name, o.version, o.key, o.payload, o.trace, o.occurred_at, o.xid, o.seq,
             ${status}, ${attempts}, ${error === null ? null : describe(error)}, ${nextAttemptAt}
      from ${sql.raw(this.#outbox)} o where o.xid = ${row.xid}::xid8 and o.seq = ${row.seq}::bigint
      on conflict (subscription, event_id) do nothing`.execute(trx);
  }

  async #recordFailure(trx: Transaction<unknown>, parkedId: string, attempt: number, error: unknown): Promise<void> {
    const dead = attempt >= this.#o.retry.maxAttempts;
    const nextAttemptAt = dead ? null : new Date(Date.now() + retryDelayMs(this.#o.retry, attempt));
    await sql`update seams_parked set status = ${dead ? 'dead' : 'retrying'}, attempts = ${attempt}, last_error = ${describe(error)},
              next_attempt_at = ${nextAttemptAt}, updated_at = now() where id = ${parkedId}::bigint`.execute(trx);
    if (dead) this.#deadLettered(parkedId, error);
  }

  #delivered(row: { id: string; key: string | null; payload: unknown; occurred_at: Date }, attempt: number): DeliveredEvent {
    const o = this.#o;
    return { id: row.id, name: o.eventName, version: o.eventVersion, key: row.key, payload: row.payload, occurredAt: row.occurred_at, attempt };
  }

  #deadLettered(id: string, error: unknown): void {
    this.#o.metrics.deadLettered.inc({ subscription: this.#o.subscription });
    this.#o.logger.error({ err: error, subscription: this.#o.subscription, parked: id }, 'event delivery dead-lettered');
  }
}


function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 2000);
  return String(error).slice(0, 2000);
}
