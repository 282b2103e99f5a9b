import { chmod, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { fileSystemFailure, StartupError, EXIT_CODES } from '../startup-error.ts';
import { findMismatch, type DirectoryManifest } from './directory-manifest.ts';
import { makeFolder } from './make-folder.ts';
import { isProcessAlive } from '../process-alive.ts';

/** Written last into a cached folder; a folder without it, or whose files differ from it, is written again. */
export const MANIFEST_FILE = '.seams-manifest.json';

export interface CachedDirectoryOptions {
  /** The cache folder, e.g. ~/.cache/seams; the content goes into `<root>/<id>`. */
  readonly root: string;
  /** Names the content (see DirectoryManifest.id): a folder with another id is never reused for it. */
  readonly id: string;
  /** For messages: what the folder holds, e.g. "the embedded PostgreSQL". */
  readonly what: string;
  /** Writes the content into an empty folder and returns its manifest (the one the cache is checked against). */
  readonly fill: (folder: string) => Promise<DirectoryManifest>;
  readonly logger: Logger;
}

/**
 * `<root>/<id>`, holding exactly what `fill` writes: reused when its files match the manifest stored with them (every
 * file hashed), otherwise written anew beside it, under a lock, and moved into place in one rename, so that a process
 * killed half-way, or a second process starting at the same moment, never sees a partial folder.
 */
export async function ensureCachedDirectory(options: CachedDirectoryOptions): Promise<string> {
  const { root, id, logger } = options;
  const folder = path.join(root, id);
  if ((await checkCached(folder, id)) === undefined) return folder;

  const fix = `set CACHE_DIR to a writable folder with room for it`;
  let scratch: string | undefined;
  let unlock: (() => Promise<void>) | undefined;
  try {
    await makeFolder(root, 0o755);
    // One process writes at a time; the others wait, then find the folder done.
    unlock = await lock(path.join(root, `.${id}.lock`));
    const problem = await checkCached(folder, id);
    if (problem === undefined) return folder;
    if (problem !== 'absent') logger.warn({ folder, problem }, `replacing a damaged or incomplete copy of ${options.what}`);
    scratch = await mkdtemp(path.join(root, `.${id}-`));
    // mkdtemp makes it 0700; the cache may be read by another OS user (postgres, when we are root).
    await chmod(scratch, 0o755);
    const manifest = await options.fill(scratch);
    const written = await findMismatch(scratch, manifest);
    if (written !== undefined) throw new Error(`${options.what} was not written correctly: ${written}`);
    await writeFile(path.join(scratch, MANIFEST_FILE), JSON.stringify(manifest));
    await rm(folder, { recursive: true, force: true });
    await rename(scratch, folder);
    scratch = undefined;
  } catch (error) {
    throw fileSystemFailure(error, `Cannot write ${options.what} into the cache`, root, fix) ?? error;
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
    await unlock?.();
  }
  logger.info({ folder }, `unpacked ${options.what} into the cache`);
  return folder;
}

/**
 * An exclusive lock file holding our pid. One whose process is gone (killed while writing) is taken over; a live
 * holder is waited for, up to ten minutes (unpacking takes seconds).
 */
async function lock(file: string): Promise<() => Promise<void>> {
  for (const deadline = Date.now() + 600_000; ; ) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx' });
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(await readFile(file, 'utf8').catch(() => ''));
    if (!Number.isInteger(holder) || holder <= 0 || !isProcessAlive(holder)) {
      // Empty (its writer is between creating and writing it) only briefly; dead for good.
      if (holder > 0 || Date.now() - (await stat(file).then((s) => s.mtimeMs, () => Date.now())) > 5000) await rm(file, { force: true });
    } else if (Date.now() > deadline) {
      throw new Error(`${file} has been held by process ${holder} for ten minutes; remove it if that process is not writing the cache.`);
    }
    await sleep(100);
  }
}

/** undefined when the folder is complete and sound; otherwise why not ('absent' when there is nothing yet). */
async function checkCached(folder: string, id: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(folder, MANIFEST_FILE), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return (await stat(folder).catch(() => undefined)) ? 'it has no manifest' : 'absent';
    if (code === 'EACCES') throw new StartupError(`Cannot read the cache folder ${folder} (EACCES). Set CACHE_DIR to a folder this user may read and write.`, { exitCode: EXIT_CODES.noPermission, cause: error });
    throw error;
  }
  let manifest: DirectoryManifest;
  try {
    manifest = JSON.parse(text) as DirectoryManifest;
  } catch {
    return 'its manifest is not valid JSON';
  }
  if (manifest.id !== id || !Array.isArray(manifest.entries)) return `its manifest is for ${String(manifest.id)}`;
  return findMismatch(folder, manifest);
}
