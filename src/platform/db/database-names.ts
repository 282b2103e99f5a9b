import { createHash } from 'node:crypto';

/** Postgres truncates identifiers beyond 63 bytes; a truncated name could collide with another, so we hash instead. */
const MAX_IDENTIFIER_LENGTH = 63;

/** A module's schema: its name with dashes turned into underscores (`order-history` -> `order_history`). */
export function schemaName(module: string): string {
  return module.replaceAll('-', '_');
}

/**
 * A module's role. Roles belong to the whole server while schemas belong to one database, so the role carries the
 * database name: two databases on one server (parallel test runs, two apps) never share a module role.
 */
export function roleName(database: string, module: string): string {
  const name = `${database}_${schemaName(module)}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (name.length <= MAX_IDENTIFIER_LENGTH) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 10);
  return `${name.slice(0, MAX_IDENTIFIER_LENGTH - hash.length - 1)}_${hash}`;
}

/** The database name in a connection string, as Postgres will see it. */
export function databaseNameOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name) throw new Error(`The database URL ${redactUrl(url)} names no database`);
  return name;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** A connection string safe to log: the password is replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable database URL>';
  }
}
