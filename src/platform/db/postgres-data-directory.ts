import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { makeFolder } from '../files/make-folder.ts';
import { EXIT_CODES, fileSystemFailure, StartupError } from '../startup-error.ts';
import { blockedFolder, type OsUser } from './postgres-os-user.ts';

/** As root, where clusters go whose data directory the OS user postgres cannot reach (see placeDataDirectory). */
export const RELOCATED_DATA_ROOT = '/var/lib/seams';

/**
 * The folder the cluster lives in: `requested`, unless we are root and the OS user postgres cannot enter a folder
 * above it (a project under /root, mode 700). Then it gets a folder of its own under /var/lib/seams, named after the
 * requested path so that the same project finds its data again; the user's folders keep their permissions.
 */
export async function placeDataDirectory(requested: string, user: OsUser | undefined, logger: Logger): Promise<string> {
  const fix = 'set DATA_DIR to a folder that can be written, or DATABASE_URL to use a PostgreSQL of your own';
  const what = 'Cannot create the embedded PostgreSQL data directory';
  const blocked = user && (await blockedFolder(path.dirname(requested), user));
  const dataDir = blocked ? path.join(RELOCATED_DATA_ROOT, `${path.basename(requested)}-${createHash('sha256').update(requested).digest('hex').slice(0, 12)}`) : requested;
  try {
    // Only the data directory itself gets 0700: the folders above it must stay enterable for the postgres user.
    await makeFolder(path.dirname(dataDir), 0o755);
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw fileSystemFailure(error, what, path.dirname(dataDir), fix) ?? error;
  }
  if (!user || !blocked) return dataDir;

  const stillBlocked = await blockedFolder(path.dirname(dataDir), user);
  if (stillBlocked) {
    throw new StartupError(
      `The embedded PostgreSQL runs as the OS user "${user.name}", which can enter neither ${blocked.folder} (mode ${blocked.mode.toString(8)}) ` +
        `nor ${stillBlocked.folder} (mode ${stillBlocked.mode.toString(8)}). Set DATA_DIR to a folder it can enter.`,
      { exitCode: EXIT_CODES.noPermission },
    );
  }
  const leftBehind = await stat(path.join(requested, 'PG_VERSION')).then(() => requested, () => undefined);
  logger.info(
    { dataDir, requestedDataDir: requested, blockedFolder: blocked.folder, ...(leftBehind ? { leftBehind } : {}) },
    `the OS user ${user.name} cannot enter ${blocked.folder}: the embedded PostgreSQL keeps its data in ${dataDir} instead of ${requested}`,
  );
  return dataDir;
}
