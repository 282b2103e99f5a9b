import { chmod, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { fileSystemFailure, StartupError, EXIT_CODES } from '../startup-error.ts';
import { findMismatch, type DirectoryManifest } from './directory-manifest.ts';

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
 * file hashed), otherwise written anew beside it and moved into place in one rename, so that a process killed half-way,
 * or a second process starting at the same moment, never sees a partial folder.
 */
export async function ensureCachedDirectory(options: CachedDirectoryOptions): Promise<string> {
  const { root, id, logger } = options;
  const folder = path.join(root, id);
  const problem = await checkCached(folder, id);
  if (problem === undefined) return folder;
  if (problem !== 'absent') logger.warn({ folder, problem }, `replacing a damaged or incomplete copy of ${options.what}`);

  const fix = `set CACHE_DIR to a writable folder with room for it`;
  let scratch: string | undefined;
  try {
    await mkdir(root, { recursive: true, mode: 0o755 });
    scratch = await mkdtemp(path.join(root, `.${id}-`));
    // mkdtemp makes it 0700; the cache may be read by another OS user (postgres, when we are root).
    await chmod(scratch, 0o755);
    const manifest = await options.fill(scratch);
    const written = await findMismatch(scratch, manifest);
    if (written !== undefined) throw new Error(`${options.what} was not written correctly: ${written}`);
    await writeFile(path.join(scratch, MANIFEST_FILE), JSON.stringify(manifest));
    await rm(folder, { recursive: true, force: true });
    await rename(scratch, folder).catch(async (error: NodeJS.ErrnoException) => {
      // Another process finished the same folder first: use its copy if it is sound.
      if ((error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') || (await checkCached(folder, id)) !== undefined) throw error;
    });
  } catch (error) {
    throw fileSystemFailure(error, `Cannot write ${options.what} into the cache`, root, fix) ?? error;
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
  }
  logger.info({ folder }, `unpacked ${options.what} into the cache`);
  return folder;
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
