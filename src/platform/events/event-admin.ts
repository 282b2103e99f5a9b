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
  /** Later events with the same key held back behind this one, in order. */
  readonly waitingBehind: number;
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

  async status(): Promise<SubscriptionStatus[]> {
    return Promise.all(
      this.#subscriptions.map(async (info) => {
        const subscriber = ident(info.schema);
        const outbox = logOf(info);
        const pending = await sql<{ pending: number; oldest: Date | null }>`
          select count(*)::int as pending, min(o.occurred_at) as oldest
          from ${sql.raw(subscriber)}.seams_subscription_cursors c
          join ${sql.raw(outbox)} o
            on (o.xid, o.seq) > (c.cursor_xid, c.cursor_seq)
           and ${partitionOf('o', info.partitions)} = c.partition
          -- Every version of the event counts: the subscription takes them all, converted.
          where c.subscription = ${info.subscription} and o.name = ${info.event}`.execute(this.#dbOf(info.module));
        const parked = await sql<{ retrying: number; waiting: number; dead: number; oldest: Date | null }>`
          select count(*) filter (where status = 'retrying')::int as retrying,
                 count(*) filter (where status = 'waiting')::int as waiting,
                 count(*) filter (where status = 'dead')::int as dead,
                 min(occurred_at) as oldest
          from ${sql.raw(subscriber)}.seams_parked where subscription = ${info.subscription}`.execute(this.#dbOf(info.module));
        const p = pending.rows[0]!;
        const q = parked.rows[0]!;
        const oldest = [p.oldest, q.oldest].filter((date): date is Date => date !== null).map((date) => date.getTime());
        return {
          module: info.module,
          subscription: info.subscription,
          event: info.event,
          version: info.version,
          partitions: info.partitions,
          pending: p.pending,
          oldestUnhandledAgeMs: oldest.length ? Math.max(0, Date.now() - Math.min(...oldest)) : 0,
          retrying: q.retrying,
          waiting: q.waiting,
          dead: q.dead,
        };
      }),
    );
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
        waiting_behind: number;
      }>`
        select d.id::text as id, d.subscription, d.event_id, d.name, d.version, d.key, d.payload, d.attempts, d.last_error, d.occurred_at, d.parked_at,
               (select count(*)::int from ${sql.raw(ident(schema.schema))}.seams_parked w
                 where w.subscription = d.subscription and w.key = d.key and w.status = 'waiting') as waiting_behind
        from ${sql.raw(ident(schema.schema))}.seams_parked d
        where d.status = 'dead' ${filter.subscription ? sql`and d.subscription = ${filter.subscription}` : sql``}
        order by d.parked_at`.execute(this.#dbOf(schema.module));
      for (const row of rows.rows) {
        letters.push({
          id: `${schema.module}:${row.id}`,
          module: schema.module,
          subscription: row.subscription,
          eventId: row.event_id,
          event: row.name,
          version: row.version,
          key: row.key,
          payload: row.payload,
          attempts: row.attempts,
          lastError: row.last_error,
          occurredAt: row.occurred_at.toISOString(),
          parkedAt: row.parked_at.toISOString(),
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

/** The table a subscription reads, as SQL: its producer's outbox, or its own module's received table. */
function logOf(info: SubscriptionInfo): string {
  return info.source === 'received' ? `${ident(info.schema)}.seams_received` : `${ident(schemaName(info.producer))}.seams_outbox`;
}

function splitId(id: string): [string, string] {
  const at = id.lastIndexOf(':');
  return [id.slice(0, at), id.slice(at + 1)];
}
