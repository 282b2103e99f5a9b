import type { CompiledQuery } from 'kysely';
import type pg from 'pg';

/**
 * Hot statements as named prepared statements, so that PostgreSQL parses and plans them once per connection instead
 * of on every run. Kysely sends every query unnamed, which PostgreSQL parses and plans each time; for the event bus's
 * batch statements planning took about a third of their server time (pg_stat_statements with track_planning, under
 * `npm run bench:events`), and for the outbox INSERT a third as well.
 *
 * Only texts marked with {@link prepared} are prepared, never every query: a text that varies (an `in` list of any
 * length) would leave a statement behind on each connection for each variant. The marked texts are few and fixed
 * (one per statement shape and schema), so the number of statements per connection is bounded.
 *
 * The module pools plan them generically (`plan_cache_mode`, module-database.ts), so a marked text must keep its
 * index by its shape, not by its values: see later-events.ts for an `exists` whose generic plan was a sequential scan.
 *
 * Behind a pooler in transaction mode, named statements need one that tracks them (PgBouncer 1.21 or later with
 * `max_prepared_statements`); the module pools connect to PostgreSQL directly.
 */
const names = new Map<string, string>();

/** Marks a compiled query's text to be run as a named prepared statement on the pools {@link runPrepared} serves. */
export function prepared<R>(query: CompiledQuery<R>): CompiledQuery<R> {
  if (!names.has(query.sql)) names.set(query.sql, `seams_${names.size + 1}`);
  return query;
}

type Query = (...args: unknown[]) => unknown;

/** Runs the marked texts on this pool's connections as named statements (wraps each connection's `query` once). */
export function runPrepared(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    const target = client as unknown as { query: Query };
    const query = target.query;
    target.query = function preparedQuery(this: unknown, ...args: unknown[]) {
      const [text, values] = args;
      const name = args.length === 2 && typeof text === 'string' && Array.isArray(values) ? names.get(text) : undefined;
      return name === undefined ? query.apply(this, args) : query.call(this, { name, text, values });
    };
  });
}
