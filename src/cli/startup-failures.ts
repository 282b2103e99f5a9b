import { EXIT_CODES, StartupError } from '#platform/startup-error.ts';

interface SystemError {
  code?: unknown;
  syscall?: unknown;
  address?: unknown;
  port?: unknown;
  hostname?: unknown;
  message?: unknown;
}

/**
 * A start-up failure that the person starting Seams caused and can fix, told as a StartupError, when `error` is one:
 * the port is taken or not allowed, the database server does not answer, refuses the user, or lacks the database.
 * Undefined for anything else (a programmer error keeps its stack trace). The database settings are named by their
 * variables, since the error does not say which of DATABASE_URL and DATABASE_URL_<MODULE> it came from.
 */
export function startupFailure(error: unknown): StartupError | undefined {
  const cause = rootCause(error);
  const code = typeof cause.code === 'string' ? cause.code : undefined;
  if (cause.syscall === 'listen') return listenFailure(code, cause, error);
  if (cause.syscall === 'connect' || cause.syscall === 'getaddrinfo') return connectFailure(code, cause, error);
  return databaseFailure(code, cause, error);
}

function listenFailure(code: string | undefined, cause: SystemError, error: unknown): StartupError | undefined {
  const where = `port ${String(cause.port)} on ${String(cause.address)}`;
  switch (code) {
    case 'EADDRINUSE':
      return new StartupError(`Cannot listen on ${where}: another program already listens there (EADDRINUSE). Stop it, or choose another port with PORT (PORT=0 takes a free one).`, { exitCode: EXIT_CODES.tempFail, cause: error });
    case 'EACCES':
      return new StartupError(`Cannot listen on ${where}: no permission (EACCES; ports below 1024 need root). Choose a port from 1024 up with PORT.`, { exitCode: EXIT_CODES.noPermission, cause: error });
    case 'EADDRNOTAVAIL':
      return new StartupError(`Cannot listen on ${where}: this machine has no such address (EADDRNOTAVAIL). Set HOST to one of its addresses, or to 0.0.0.0 for all of them.`, { exitCode: EXIT_CODES.config, cause: error });
    default:
      return undefined;
  }
}

function connectFailure(code: string | undefined, cause: SystemError, error: unknown): StartupError | undefined {
  if (code !== 'ECONNREFUSED' && code !== 'ENOTFOUND' && code !== 'EAI_AGAIN' && code !== 'ETIMEDOUT' && code !== 'EHOSTUNREACH') return undefined;
  const where = cause.port === undefined ? String(cause.hostname ?? cause.address) : `${String(cause.address)}:${String(cause.port)}`;
  return new StartupError(
    `Cannot reach the PostgreSQL server at ${where} (${code}). Start it, or correct the host and port in DATABASE_URL (or DATABASE_URL_<MODULE>); with DATABASE_URL unset, Seams starts its own PostgreSQL.`,
    { exitCode: EXIT_CODES.noHost, cause: error },
  );
}

/** PostgreSQL's own refusals, by SQLSTATE. */
function databaseFailure(code: string | undefined, cause: SystemError, error: unknown): StartupError | undefined {
  const told = String(cause.message);
  switch (code) {
    case '28P01': // invalid_password
    case '28000': // invalid_authorization_specification: no such role, or pg_hba.conf refuses it
      return new StartupError(`The PostgreSQL server refused the user of DATABASE_URL (or DATABASE_URL_<MODULE>): ${told}. Correct the user and password there.`, { exitCode: EXIT_CODES.noPermission, cause: error });
    case '3D000': // invalid_catalog_name
      return new StartupError(`The PostgreSQL server has no such database: ${told}. Create it (createdb), or name an existing one in DATABASE_URL (or DATABASE_URL_<MODULE>).`, { exitCode: EXIT_CODES.config, cause: error });
    default:
      return undefined;
  }
}

/** The error that says what happened: past wrappers (`cause`) and Node's several-addresses AggregateError. */
function rootCause(error: unknown): SystemError {
  let current = error as SystemError & { cause?: unknown; errors?: unknown[] };
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    if (typeof current.code === 'string' && current.code !== 'ERR_UNHANDLED_ERROR') return current;
    const next = current.errors?.[0] ?? current.cause;
    if (!next || typeof next !== 'object') break;
    current = next as typeof current;
  }
  return (current && typeof current === 'object' ? current : {}) as SystemError;
}
