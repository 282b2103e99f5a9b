import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * What a folder of files holds, file by file: its relative paths, sizes, permission bits and SHA-256 digests, and its
 * symbolic links. A folder unpacked or copied into a cache is checked against the manifest it was written from, so a
 * cache cut short (a full disk, a killed process) or damaged later is found and written again.
 */
export interface DirectoryManifest {
  /** Names the content, e.g. `postgres-18.4.0` or `postgres-<digest>`: the cache folder is called by it. */
  readonly id: string;
  readonly entries: readonly ManifestEntry[];
}

export type ManifestEntry = FileEntry | LinkEntry;

export interface FileEntry {
  readonly type: 'file';
  /** Relative, with forward slashes. */
  readonly path: string;
  /** Permission bits, e.g. 0o755. */
  readonly mode: number;
  readonly size: number;
  readonly sha256: string;
}

export interface LinkEntry {
  readonly type: 'symlink';
  readonly path: string;
  /** As readlink gives it (relative links stay relative, so the folder can move). */
  readonly target: string;
}

/** The manifest of a folder as it is on disk (every file read and hashed); `id` is given or derived from the content. */
export async function describeDirectory(root: string, id?: (digest: string) => string): Promise<DirectoryManifest> {
  const entries: ManifestEntry[] = [];
  const walk = async (relative: string): Promise<void> => {
    const children = await readdir(path.join(root, relative), { withFileTypes: true });
    for (const child of children.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const childPath = relative ? `${relative}/${child.name}` : child.name;
      const absolute = path.join(root, childPath);
      if (child.isDirectory()) await walk(childPath);
      else if (child.isSymbolicLink()) entries.push({ type: 'symlink', path: childPath, target: await readlink(absolute) });
      else if (child.isFile()) {
        const content = await readFile(absolute);
        const { mode } = await lstat(absolute);
        entries.push({ type: 'file', path: childPath, mode: mode & 0o777, size: content.length, sha256: sha256(content) });
      }
    }
  };
  await walk('');
  const digest = manifestDigest(entries);
  return { id: id ? id(digest) : digest.slice(0, 16), entries };
}

/** A digest of the entries (not of the id), the same for the same content wherever it is. */
export function manifestDigest(entries: readonly ManifestEntry[]): string {
  return sha256(Buffer.from(JSON.stringify(entries)));
}

/** The first way the folder differs from its manifest (a missing, truncated or changed file), or undefined. */
export async function findMismatch(root: string, manifest: DirectoryManifest): Promise<string | undefined> {
  for (const entry of manifest.entries) {
    const absolute = path.join(root, ...entry.path.split('/'));
    const stats = await lstat(absolute).catch(() => undefined);
    if (!stats) return `${entry.path} is missing`;
    if (entry.type === 'symlink') {
      if (!stats.isSymbolicLink() || (await readlink(absolute)) !== entry.target) return `${entry.path} is not a link to ${entry.target}`;
      continue;
    }
    if (!stats.isFile()) return `${entry.path} is not a file`;
    if (stats.size !== entry.size) return `${entry.path} has ${stats.size} bytes instead of ${entry.size}`;
    if ((stats.mode & 0o777) !== entry.mode) return `${entry.path} has mode ${(stats.mode & 0o777).toString(8)} instead of ${entry.mode.toString(8)}`;
    if (sha256(await readFile(absolute)) !== entry.sha256) return `${entry.path} does not have the content it was written with`;
  }
  return undefined;
}

export function sha256(content: Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Writes the manifest's files (with their permission bits) and links into `root`, taking each file's bytes from `contentOf`. */
export async function writeDirectory(root: string, manifest: DirectoryManifest, contentOf: (entry: FileEntry) => Promise<Uint8Array> | Uint8Array): Promise<void> {
  const made = new Set<string>();
  for (const entry of manifest.entries) {
    const target = path.join(root, ...entry.path.split('/'));
    const parent = path.dirname(target);
    if (!made.has(parent)) {
      await mkdir(parent, { recursive: true, mode: 0o755 });
      made.add(parent);
    }
    if (entry.type === 'symlink') {
      await symlink(entry.target, target);
      continue;
    }
    await writeFile(target, await contentOf(entry), { mode: entry.mode });
    // The mode given to writeFile is narrowed by the umask.
    await chmod(target, entry.mode);
  }
}
