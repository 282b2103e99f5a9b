import type { Meter } from '@opentelemetry/api';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { schemaName } from '../db/database-names.ts';
import { ident } from '../db/provision.ts';
import { partitionOf } from './partitioning.ts';
import type { SubscriptionInfo } from './event-wiring.ts';

/** A subscription's backlog: events it has not read yet, and events parked for it. */
export interface SubscriptionStatus {
  readonly module: string;
  readonly subscription: string;
  readonly event: string;
  readonly version: number;
  readonly partitions: number;
  /** Events in the producer's outbox past the subscription's cursor. */
  readonly pending: number;
  /** Age of the oldest event not yet handled (pending or parked), in ms; 0 when there is none. */
  readonly oldestUnhandledAgeMs: number;
  /** Events handled in the last 60 seconds (their inbox rows): the subscription's throughput. */
  readonly handledLastMinute: number;
  readonly retrying: number;
  readonly waiting: number;
  readonly dead: number;
}

export interface DeadLetter {
  /** `<module>:<n>`; pass it back to replay this one. */
  readonly id: string;
  readonly module: string;
  readonly subscription: string;
  readonly eventId: string;
  readonly event: string;
  readonly version: number;
  readonly key: string | null;
  readonly payload: unknown;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly occurredAt: string;
  readonly parkedAt: string;
  /** When the last attempt failed. */
  readonly lastFailedAt: string;
  /** Later events with the same key held back behind this one, in order. */
  readonly waitingBehind: number;
}

export interface DiscardedLetter {
  readonly id: string;
  readonly module: string;
  readonly subscription: string;
  readonly eventId: string;
  readonly event: string;
  readonly version: number;
  readonly lastError: string | null;
  readonly discardedAt: string;
  readonly discardedBy: string;
  readonly reason: string;
}

interface StatusRow {
  /** The subscription's place in the statement, which a union does not keep in order. */
  at: number;
  pending: number;
  pending_oldest: Date | null;
  retrying: number;
  waiting: number;
  dead: number;
  parked_oldest: Date | null;
  handled: number;
}

/**
 * Operations on the event bus across modules: lag, dead letters, replay, retention. It reads every module's event
 * tables, so it runs on the platform's own connection (the DATABASE_URL user), never on a module's: one per database
 * when modules have databases of their own (DATABASE_URL_<MODULE>), picked by module with `dbOf`. A subscriber and
 * the log it reads always share a database (otherwise the events come over NATS into its own `seams_received`).
 */
export class EventAdmin {
  readonly #dbOf: (module: string) => Kysely<unknown>;
  readonly #subscriptions: readonly SubscriptionInfo[];

  readonly #relayed: readonly string[];

  /** @param relayed producers whose outbox a NATS relay also reads: its cursor bounds their retention too. */
  constructor(db: Kysely<unknown> | ((module: string) => Kysely<unknown>), subscriptions: readonly SubscriptionInfo[], relayed: readonly string[] = []) {
    this.#dbOf = typeof db === 'function' ? db : () => db;
    this.#subscriptions = subscriptions;
    this.#relayed = relayed;
  }

  /**
   * Every subscription's backlog and throughput, in one statement per database: the console asks for this every
   * couple of seconds, so an idle system must answer it cheaply. Each part reads an index: the outbox past the cursor
   * by its primary key (xid, seq), parked events by (subscription, …), handled events of the last minute by the
   * inbox's handled_at.
   */
  async status(): Promise<SubscriptionStatus[]> {
    const byDatabase = new Map<Kysely<unknown>, SubscriptionInfo[]>();
    for (const info of this.#subscriptions) {
      const db = this.#dbOf(info.module);
      byDatabase.set(db, [...(byDatabase.get(db) ?? []), info]);
    }
    const rows = new Map<SubscriptionInfo, StatusRow>();
    await Promise.all(
      [...byDatabase].map(async ([db, infos]) => {
        const parts = infos.map((info, index) => statusQuery(info, index));
        const result = await sql<StatusRow>`${parts.reduce((left, right) => sql`${left} union all ${right}`)}`.execute(db);
        for (const row of result.rows) rows.set(infos[row.at]!, row);
      }),
    );
    return this.#subscriptions.map((info) => {
      const row = rows.get(info)!;
      const oldest = [row.pending_oldest, row.parked_oldest].filter((date): date is Date => date !== null).map((date) => new Date(date).getTime());
      return {
        module: info.module,
        subscription: info.subscription,
        event: info.event,
        version: info.version,
        partitions: info.partitions,
        pending: row.pending,
        oldestUnhandledAgeMs: oldest.length ? Math.max(0, Date.now() - Math.min(...oldest)) : 0,
        handledLastMinute: row.handled,
        retrying: row.retrying,
        waiting: row.waiting,
        dead: row.dead,
      };
    });
  }

  /**
   * How far behind each local producer's NATS relay is: the events of its outbox past the relay's cursor (all of
   * them, crossing or not: the relay passes over the others as it goes) and the age of the oldest. While NATS is
   * away this grows; once it is back the relay catches up and it falls to zero.
   */
  async relayStatus(): Promise<Array<{ module: string; pending: number; oldestUnsentAgeMs: number }>> {
    return Promise.all(
      this.#relayed.map(async (producer) => {
        const schema = sql.raw(ident(schemaName(producer)));
        const { rows } = await sql<{ pending: number; oldest: Date | null }>`
          select count(*)::int as pending, min(o.occurred_at) as oldest
          from ${schema}.seams_relay_cursors c join ${schema}.seams_outbox o on (o.xid, o.seq) > (c.cursor_xid, c.cursor_seq)`.execute(this.#dbOf(producer));
        const row = rows[0]!;
        return { module: producer, pending: row.pending, oldestUnsentAgeMs: row.oldest ? Math.max(0, Date.now() - row.oldest.getTime()) : 0 };
      }),
    );
  }

  /** Reports each subscription's backlog, and each NATS relay's, as gauges, read at every scrape or export. */
  observeLag(meter: Meter): void {
    const age = meter.createObservableGauge('seams_events_outbox_lag_seconds', { description: 'Age of the oldest event a subscription has not handled yet.' });
    const pending = meter.createObservableGauge('seams_events_pending', { description: 'Events a subscription has not read yet.' });
    const relayAge = meter.createObservableGauge('seams_events_relay_lag_seconds', { description: "Age of the oldest event in a producer's outbox that its NATS relay has not sent yet." });
    const relayPending = meter.createObservableGauge('seams_events_relay_pending', { description: "Events in a producer's outbox that its NATS relay has not passed yet." });
    meter.addBatchObservableCallback(async (result) => {
      for (const status of await this.status()) {
        const attributes = { subscription: status.subscription, module: status.module };
        result.observe(age, status.oldestUnhandledAgeMs / 1000, attributes);
        result.observe(pending, status.pending, attributes);
      }
      for (const relay of await this.relayStatus()) {
        result.observe(relayAge, relay.oldestUnsentAgeMs / 1000, { module: relay.module });
        result.observe(relayPending, relay.pending, { module: relay.module });
      }
    }, [age, pending, relayAge, relayPending]);
  }

  async deadLetters(filter: { module?: string; subscription?: string } = {}): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    for (const schema of this.#schemas(filter.module)) {
      const rows = await sql<{
        id: string;
        subscription: string;
        event_id: string;
        name: string;
        version: number;
        key: string | null;
        payload: unknown;
        attempts: number;
        last_error: string | null;
        occurred_at: Date;
        parked_at: Date;
        updated_at: Date;
        waiting_behind: number;
      }>`
        select d.id::text as id, d.subscription, d.event_id, d.name, d.version, d.key, d.payload, d.attempts, d.last_error, d.occurred_at, d.parked_at, d.updated_at,
               (select count(*)::int from ${sql.raw(ident(schema.schema))}.seams_parked w
                 where w.subscription = d.subscription and w.key = d.key and w.status = 'waiting') as waiting_behind
        from ${sql.raw(ident(schema.schema))}.seams_parked d
        where d.status = 'dead' ${filter.subscription ? sql`and d.subscription = ${filter.subscription}` : sql``}
        order by d.parked_at`.execute(this.#dbOf(schema.module));
      for (const row of rows.rows) {
        letters.push({
          ...letterIdentity(schema.module, row),
          key: row.key,
          payload: row.payload,
          attempts: row.attempts,
          lastError: row.last_error,
          occurredAt: row.occurred_at.toISOString(),
          parkedAt: row.parked_at.toISOString(),
          lastFailedAt: row.updated_at.toISOString(),
          waitingBehind: row.waiting_behind,
        });
      }
    }
    return letters;
  }

  /**
   * Puts dead letters back in line for a retry, with a fresh count of attempts. Returns how many; the caller wakes
   * the bus. The events behind each one follow it once it succeeds.
   */
  async replay(selection: { id?: string; module?: string; subscription?: string }): Promise<number> {
    let replayed = 0;
    const [idModule, idNumber] = selection.id ? splitId(selection.id) : [undefined, undefined];
    for (const schema of this.#schemas(idModule ?? selection.module)) {
      const result = await sql`
        update ${sql.raw(ident(schema.schema))}.seams_parked
        set status = 'retrying', attempts = 0, next_attempt_at = now(), updated_at = now()
        where status = 'dead'
          ${idNumber === undefined ? sql`` : sql`and id = ${idNumber}::bigint`}
          ${selection.subscription ? sql`and subscription = ${selection.subscription}` : sql``}`.execute(this.#dbOf(schema.module));
      replayed += Number(result.numAffectedRows ?? 0);
    }
    return replayed;
  }

  /**
   * Throws a dead letter away, for good, keeping it with the reason in `seams_discarded`. The events that waited
   * behind it (same key) move on: the first of them is put up for a retry now, and the rest follow it as after a
   * successful replay. Returns false when there is no such dead letter; the caller wakes the bus.
   */
  async discard(id: string, reason: string, by: string): Promise<boolean> {
    const [module, number] = splitId(id);
    const schema = this.#schemas(module)[0];
    if (!schema || !/^[0-9]+$/.test(number)) return false;
    const table = (name: string) => sql.raw(`${ident(schema.schema)}.${name}`);
    const result = await sql<{ discarded: number }>`
      with gone as (
        delete from ${table('seams_parked')} where id = ${number}::bigint and status = 'dead' returning *
      ), kept as (
        insert into ${table('seams_discarded')} (id, subscription, partition, event_id, name, version, key, payload, attempts, last_error, occurred_at, parked_at, discarded_by, reason)
        select id, subscription, partition, event_id, name, version, key, payload, attempts, last_error, occurred_at, parked_at, ${by}, ${reason} from gone
        returning subscription, partition, key
      ), released as (
        update ${table('seams_parked')} set status = 'retrying', next_attempt_at = now(), updated_at = now()
        where id = (select w.id from ${table('seams_parked')} w join kept k on w.subscription = k.subscription and w.partition = k.partition and w.key = k.key
                    where w.status = 'waiting' order by w.xid, w.seq limit 1)
        returning 1
      )
      select (select count(*) from kept)::int as discarded, (select count(*) from released)::int as released`.execute(this.#dbOf(schema.module));
    return result.rows[0]!.discarded > 0;
  }

  /** The dead letters discarded most recently, newest first, with who discarded them and why. */
  async discarded(limit = 50): Promise<DiscardedLetter[]> {
    const letters: DiscardedLetter[] = [];
    for (const schema of this.#schemas()) {
      const rows = await sql<{ id: string; subscription: string; event_id: string; name: string; version: number; last_error: string | null; discarded_at: Date; discarded_by: string; reason: string }>`
        select id::text as id, subscription, event_id, name, version, last_error, discarded_at, discarded_by, reason
        from ${sql.raw(ident(schema.schema))}.seams_discarded order by discarded_at desc limit ${limit}`.execute(this.#dbOf(schema.module));
      for (const row of rows.rows) {
        letters.push({
          ...letterIdentity(schema.module, row),
          lastError: row.last_error,
          discardedAt: row.discarded_at.toISOString(),
          discardedBy: row.discarded_by,
          reason: row.reason,
        });
      }
    }
    return letters.sort((a, b) => b.discardedAt.localeCompare(a.discardedAt)).slice(0, limit);
  }

  /**
   * Deletes what no reader needs any more: rows of a log (an outbox, or a module's `seams_received`) older than the
   * retention that every local reader has passed (each subscription's cursors, and for an outbox the NATS relay's), and
   * inbox rows older than the retention whose events have left their log. In small batches, so the hot path never
   * waits on it. Returns the rows deleted from logs (`outbox`, received tables included) and from inboxes.
   */
  async applyRetention(retentionMs: number, batch = 1000): Promise<{ outbox: number; inbox: number }> {
    let outbox = 0;
    let inbox = 0;
    const cutoff = new Date(Date.now() - retentionMs);
    const logs = new Map<string, RawBuilder<unknown>[]>();
    // The module whose database holds each log: its producer's for an outbox, the subscriber's for what it received.
    const databaseOf = new Map<string, string>();
    const readersOf = (log: string, module: string) => {
      databaseOf.set(log, module);
      return logs.get(log) ?? logs.set(log, []).get(log)!;
    };
    for (const info of this.#subscriptions) {
      readersOf(logOf(info), info.module).push(
        sql`select cursor_xid, cursor_seq from ${sql.raw(ident(info.schema))}.seams_subscription_cursors where subscription = ${info.subscription}`,
      );
    }
    for (const producer of this.#relayed) {
      // The relay has not sent what lies past its cursor: the other processes' subscribers still need it.
      const schema = ident(schemaName(producer));
      readersOf(`${schema}.seams_outbox`, producer).push(sql`select cursor_xid, cursor_seq from ${sql.raw(schema)}.seams_relay_cursors`);
    }
    for (const [log, readers] of logs) {
      // Every reader's cursor (each partition's) bounds what may go; the log is also bounded by age.
      const cursors = readers.reduce((left, right) => sql`${left} union all ${right}`);
      const deleted = await sql`
        delete from ${sql.raw(log)} where (xid, seq) in (
          select xid, seq from ${sql.raw(log)}
          where ${sql.raw(log.endsWith('seams_received') ? 'received_at' : 'occurred_at')} < ${cutoff} and (xid, seq) <= all (${cursors})
          order by xid, seq limit ${batch})`.execute(this.#dbOf(databaseOf.get(log)!));
      outbox += Number(deleted.numAffectedRows ?? 0);
    }
    for (const info of this.#subscriptions) {
      // An inbox row must outlive its event: while the event is in its log it could be read again.
      const outbox = logOf(info);
      const deleted = await sql`
        delete from ${sql.raw(ident(info.schema))}.seams_inbox where ctid in (
          select ctid from ${sql.raw(ident(info.schema))}.seams_inbox i
          where i.subscription = ${info.subscription} and i.handled_at < ${cutoff}
            and not exists (select 1 from ${sql.raw(outbox)} o where (o.xid, o.seq) <= (i.event_xid, i.event_seq) limit 1)
          limit ${batch})`.execute(this.#dbOf(info.module));
      inbox += Number(deleted.numAffectedRows ?? 0);
    }
    return { outbox, inbox };
  }

  #schemas(module?: string): Array<{ module: string; schema: string }> {
    const unique = new Map(this.#subscriptions.map((info) => [info.module, info.schema]));
    return [...unique].filter(([name]) => module === undefined || name === module).map(([name, schema]) => ({ module: name, schema }));
  }
}

/** One subscription's row of {@link EventAdmin.status}'s statement. */
function statusQuery(info: SubscriptionInfo, at: number): RawBuilder<StatusRow> {
  const subscriber = sql.raw(ident(info.schema));
  return sql<StatusRow>`(
    select ${at}::int as at, p.pending, p.oldest as pending_oldest, q.retrying, q.waiting, q.dead, q.oldest as parked_oldest, h.handled
    from (select count(*)::int as pending, min(o.occurred_at) as oldest
          from ${subscriber}.seams_subscription_cursors c
          join ${sql.raw(logOf(info))} o on (o.xid, o.seq) > (c.cursor_xid, c.cursor_seq) and ${partitionOf('o', info.partitions)} = c.partition
          -- Every version of the event counts: the subscription takes them all, converted.
          where c.subscription = ${info.subscription} and o.name = ${info.event}) p,
         (select count(*) filter (where status = 'retrying')::int as retrying,
                 count(*) filter (where status = 'waiting')::int as waiting,
                 count(*) filter (where status = 'dead')::int as dead,
                 min(occurred_at) as oldest
          from ${subscriber}.seams_parked where subscription = ${info.subscription}) q,
         (select count(*)::int as handled from ${subscriber}.seams_inbox
          where handled_at > now() - interval '1 minute' and subscription = ${info.subscription}) h)`;
}

/** The table a subscription reads, as SQL: its producer's outbox, or its own module's received table. */
function logOf(info: SubscriptionInfo): string {
  return info.source === 'received' ? `${ident(info.schema)}.seams_received` : `${ident(schemaName(info.producer))}.seams_outbox`;
}

function splitId(id: string): [string, string] {
  const at = id.lastIndexOf(':');
  return [id.slice(0, at), id.slice(at + 1)];
}

/** The fields that name a dead letter, parked or discarded, from its row; its id carries the module (`module:row`). */
function letterIdentity(module: string, row: { id: string; subscription: string; event_id: string; name: string; version: number }) {
  return { id: `${module}:${row.id}`, module, subscription: row.subscription, eventId: row.event_id, event: row.name, version: row.version };
}
