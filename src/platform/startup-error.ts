/**
 * A start-up failure that the person starting Seams can fix (a folder, a disk, a permission). The process entry prints
 * its message as plain text, with no stack trace unless LOG_LEVEL=debug, and exits with its own code, from the BSD
 * sysexits convention, so that scripts can tell the causes apart.
 */
export class StartupError extends Error {
  readonly exitCode: number;

  constructor(message: string, options: { exitCode: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StartupError';
    this.exitCode = options.exitCode;
  }
}

/** The exit codes of start-up failures (sysexits.h). */
export const EXIT_CODES = {
  /** EX_NOHOST: a server to connect to does not answer (the database's host or port is wrong, or it is down). */
  noHost: 68,
  /** EX_UNAVAILABLE: the Node.js running is too old (told by scripts/preflight.cjs, which cannot import this). */
  unavailable: 69,
  /** EX_CANTCREAT: a folder or file cannot be created (read-only file system, no permission). */
  cannotCreate: 73,
  /** EX_IOERR: writing failed part-way (the disk is full). */
  ioError: 74,
  /** EX_TEMPFAIL: the port is taken by another program; once it is free, the same command works. */
  tempFail: 75,
  /** EX_NOPERM: an OS user lacks the permission it needs. */
  noPermission: 77,
  /** EX_CONFIG: the configuration is wrong. */
  config: 78,
} as const;

/** The failure of a file operation on `target`, as a StartupError that names the cause and the fix. */
export function fileSystemFailure(error: unknown, what: string, target: string, fix: string): StartupError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new StartupError(`${what}: the disk holding ${target} is full (${code}). Free some space there, or ${fix}.`, { exitCode: EXIT_CODES.ioError, cause: error });
    case 'EROFS':
      return new StartupError(`${what}: ${target} is on a read-only file system (EROFS). ${capitalise(fix)}.`, { exitCode: EXIT_CODES.cannotCreate, cause: error });
    case 'EACCES':
    case 'EPERM':
      return new StartupError(`${what}: no permission to write in ${target} (${code}). ${capitalise(fix)}.`, { exitCode: EXIT_CODES.cannotCreate, cause: error });
    default:
      return undefined;
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
