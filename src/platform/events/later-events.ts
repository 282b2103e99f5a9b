import { sql, type RawBuilder } from 'kysely';

/**
 * Whether `log` (an outbox or a received table, as SQL) holds a committed row past the position `(xid, seq)`.
 *
 * Written as "the first row past it, in key order" rather than `exists (...)`: in a prepared statement PostgreSQL
 * soon switches to a generic plan, and for a generic `exists` over `(xid, seq) > ($1, $2)` it expects a third of the
 * table to match and picks a sequential scan, which reads every row before the position first. Under
 * `npm run bench:events` that made the batch's cursor statement take 4-5 ms with a 20,000-row outbox, most of the
 * database's CPU per event. With `order by … limit 1` the planner keeps the primary key's index.
 */
export function committedAfter(log: string, position: { readonly xid: string; readonly seq: string }): RawBuilder<boolean> {
  return committedAfterRow(log, sql`(${position.xid}::xid8, ${position.seq}::bigint)`);
}

/**
 * {@link committedAfter} with the position as SQL, such as a cursor row's columns `(c.cursor_xid, c.cursor_seq)`: for
 * a statement that reads the cursor itself. Correlated to it, the index scan starts there as well.
 */
export function committedAfterRow(log: string, position: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`((select true from ${sql.raw(log)} l where (l.xid, l.seq) > ${position} order by l.xid, l.seq limit 1) is not null)`;
}
