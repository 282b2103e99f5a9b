import { sql, type RawBuilder } from 'kysely';

/**
 * For a statement run on its own (its own transaction): a CTE that makes its commit skip the wait for the WAL flush
 * (`synchronous_commit = off` for that transaction alone), and the column that makes PostgreSQL evaluate it. Put
 * {@link UNFLUSHED_COMMIT} in the WITH list and {@link UNFLUSHED_COMMIT_COLUMN} in the outer select list.
 *
 * Only for writes that can be redone from somewhere else if the database crashes before the flush (a few hundred ms at
 * most, by `wal_writer_delay`). The commit is visible at once and is never lost to a process crash, only to a crash of
 * the database server; and any later commit that waits for its flush (a handler's batch) flushes this one with it,
 * since the WAL is written in order.
 */
export const UNFLUSHED_COMMIT: RawBuilder<unknown> = sql`unflushed_commit as (select set_config('synchronous_commit', 'off', true) as setting)`;

export const UNFLUSHED_COMMIT_COLUMN: RawBuilder<unknown> = sql`(select setting from unflushed_commit) as commit_mode`;
