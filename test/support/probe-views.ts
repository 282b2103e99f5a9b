import { Kysely, PostgresDialect, sql, type RawBuilder } from 'kysely';
import pg from 'pg';
import { ident } from '#platform/db/provision.ts';
import { schemaName } from '#platform/db/database-names.ts';

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Effect {
  id: string;
  event_id: string;
  n: number;
  key: string;
  attempt: number;
}

export interface Parked {
  id: string;
  event_id: string;
  key: string | null;
  status: 'retrying' | 'waiting' | 'scheduled' | 'dead';
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date | null;
  updated_at: Date;
  n: number;
}

/**
 * Read-only looks (and the odd deliberate tampering) at one probe subscriber's tables: its `effects`, its parked
 * events, its inbox and cursors. Either through the subscriber's own db (search path = its schema), or through any
 * connection that may read the schema, naming it (tests whose app runs in a child process).
 */
export class ProbeView {
  readonly #db: Kysely<unknown>;
  readonly #schema: string | undefined;

  constructor(db: Kysely<unknown>, module?: string) {
    this.#db = db;
    this.#schema = module === undefined ? undefined : schemaName(module);
  }

  #t(table: string): RawBuilder<unknown> {
    return sql.raw(this.#schema === undefined ? table : `${ident(this.#schema)}.${table}`);
  }

  /** Every effect row (one per handled event, duplicates included), in the order they were written. */
  async effects(filter: { key?: string; keyPrefix?: string; eventId?: string } = {}): Promise<Effect[]> {
    // bigint and uuid come back as strings anyway; a cast with an alias would make `order by id` sort text ('10' < '9').
    const { rows } = await sql<Effect>`select id, event_id, n, key, attempt from ${this.#t('effects')}
      where (${filter.key ?? null}::text is null or key = ${filter.key ?? null})
        and (${filter.keyPrefix ?? null}::text is null or starts_with(key, ${filter.keyPrefix ?? null}))
        and (${filter.eventId ?? null}::uuid is null or event_id = ${filter.eventId ?? null}::uuid)
      order by id`.execute(this.#db);
    return rows;
  }

  /** Effect rows and distinct event ids among them: equal when nothing was applied twice. */
  async stats(filter: { keyPrefix?: string } = {}): Promise<{ rows: number; distinct: number }> {
    const { rows } = await sql<{ rows: number; distinct: number }>`select count(*)::int as rows, count(distinct event_id)::int as distinct
      from ${this.#t('effects')} where (${filter.keyPrefix ?? null}::text is null or starts_with(key, ${filter.keyPrefix ?? null}))`.execute(this.#db);
    return rows[0]!;
  }

  async parked(filter: { eventId?: string; key?: string } = {}): Promise<Parked[]> {
    const { rows } = await sql<Parked>`select id, event_id, key, status, attempts, last_error, next_attempt_at, updated_at,
             (payload->>'n')::int as n
      from ${this.#t('seams_parked')}
      where (${filter.eventId ?? null}::uuid is null or event_id = ${filter.eventId ?? null}::uuid)
        and (${filter.key ?? null}::text is null or key = ${filter.key ?? null})
      order by xid, seq`.execute(this.#db);
    return rows;
  }

  async inboxSize(): Promise<number> {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${this.#t('seams_inbox')}`.execute(this.#db);
    return rows[0]!.n;
  }

  async cursors(): Promise<Array<{ partition: number; xid: string; seq: string }>> {
    const { rows } = await sql<{ partition: number; xid: string; seq: string }>`select partition, cursor_xid::text as xid, cursor_seq::text as seq
      from ${this.#t('seams_subscription_cursors')} order by partition`.execute(this.#db);
    return rows;
  }

  /** Moves every cursor of the subscriber back to the start of the producer's outbox, as if nothing had been read. */
  async rewindCursors(): Promise<number> {
    const result = await sql`update ${this.#t('seams_subscription_cursors')} set cursor_xid = '0', cursor_seq = 0`.execute(this.#db);
    return Number(result.numAffectedRows ?? 0);
  }
}

/** Looks at a producer's outbox. */
export class OutboxView {
  readonly #db: Kysely<unknown>;
  readonly #table: RawBuilder<unknown>;

  constructor(db: Kysely<unknown>, module?: string) {
    this.#db = db;
    this.#table = sql.raw(module === undefined ? 'seams_outbox' : `${ident(schemaName(module))}.seams_outbox`);
  }

  async ids(): Promise<string[]> {
    const { rows } = await sql<{ id: string }>`select id::text as id from ${this.#table} order by xid, seq`.execute(this.#db);
    return rows.map((row) => row.id);
  }

  /** The outbox's last (xid, seq), as text, or undefined when empty. */
  async last(): Promise<{ xid: string; seq: string } | undefined> {
    const { rows } = await sql<{ xid: string; seq: string }>`select o.xid::text as xid, o.seq::text as seq from ${this.#table} o
      order by o.xid desc, o.seq desc limit 1`.execute(this.#db);
    return rows[0];
  }
}

/** A plain connection to the test database as its (superuser-ish) owner, for tests whose app runs elsewhere. */
export function adminDatabase(url: string, max = 2): Kysely<unknown> {
  return new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max, application_name: 'seams:test-observer' }) }) });
}

/** How many of `ids` are missing from `present`, and how many ids of `present` were not expected. */
export function compareIds(expected: readonly string[], present: readonly string[]): { missing: number; unexpected: number } {
  const want = new Set(expected);
  const got = new Set(present);
  return { missing: [...want].filter((id) => !got.has(id)).length, unexpected: [...got].filter((id) => !want.has(id)).length };
}
