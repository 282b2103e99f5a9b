/**
 * Whether an error means the database cannot be reached right now, as opposed to a query that is wrong: the
 * connection was refused, reset or timed out, the server is shutting down or starting up, or no pooled connection
 * came free in time. Such a failure is temporary; callers answer 503 and try again later instead of failing the work.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 8; depth += 1) {
    if (isUnavailableItself(current)) return true;
    if (current instanceof AggregateError && current.errors.some(isDatabaseUnavailable)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Socket errors that mean the server is not there (or went away). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** SQLSTATE: admin_shutdown, crash_shutdown, cannot_connect_now (starting up, shutting down, in recovery). */
const SERVER_GOING_AWAY = new Set(['57P01', '57P02', '57P03']);
/** What pg and pg-pool say when a connection ends under a query, or none could be had within connectionTimeoutMillis. */
const PG_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
];

function isUnavailableItself(error: unknown): boolean {
  if (typeof error !== 'object') return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || SERVER_GOING_AWAY.has(code)) return true;
    // Class 08: connection exception.
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  return typeof message === 'string' && PG_MESSAGES.some((pattern) => pattern.test(message));
}
