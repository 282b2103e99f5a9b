import { sql, type Kysely } from 'kysely';

/**
 * Event positions are transaction ids (xid8), and transaction ids belong to one PostgreSQL server. A module's event
 * tables restored from another server's dump carry ids from this server's "future": the visibility rule would hide
 * those rows until the counter caught up, and a cursor there would skip everything written meanwhile, silently.
 */
export class ForeignEventPositionsError extends Error {
  constructor(module: string, tables: readonly string[]) {
    super(
      `Module "${module}": ${tables.join(', ')} hold event positions (transaction ids) ahead of this server's, so they were ` +
        'copied from another server. Delivery would skip events without a word. Drain the module before a move and empty ' +
        'its outbox, received events, parked events and cursors after the restore (docs/extraction.md, step 3).',
    );
    this.name = 'ForeignEventPositionsError';
  }
}

const POSITIONED = [
  ['seams_outbox', 'xid'],
  ['seams_received', 'xid'],
  ['seams_parked', 'xid'],
  ['seams_subscription_cursors', 'cursor_xid'],
  ['seams_relay_cursors', 'cursor_xid'],
] as const;

/** Fails start-up when a module's event tables (in the schema `db` writes to) hold positions from another server. */
export async function assertEventPositionsFromThisServer(db: Kysely<unknown>, module: string): Promise<void> {
  const checks = POSITIONED.map(
    ([table, column]) =>
      sql`select ${table}::text as name where exists (select 1 from ${sql.table(table)} where ${sql.ref(column)} >= pg_snapshot_xmax(pg_current_snapshot()))`,
  );
  const { rows } = await sql<{ name: string }>`${sql.join(checks, sql` union all `)}`.execute(db);
  if (rows.length > 0) throw new ForeignEventPositionsError(module, rows.map((row) => row.name));
}
