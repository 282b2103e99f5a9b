import { getRawAsset } from 'node:sea';
import { zstdDecompressSync } from 'node:zlib';
import type { Logger } from 'pino';
import { ensureCachedDirectory } from './cached-directory.ts';
import { writeDirectory, type DirectoryManifest } from './directory-manifest.ts';

/**
 * How the single binary carries a folder (written by scripts/build-binary.ts): the asset `<name>/.manifest.json`
 * lists its files, and each file is the asset `<name>/<path>`, compressed with zstd.
 */
export const manifestAsset = (name: string) => `${name}/.manifest.json`;
export const fileAsset = (name: string, file: string) => `${name}/${file}`;

/**
 * The folder `name` that this binary carries, unpacked once into `<cacheDir>/<name>-<content digest>` and checked by
 * hash on every start: a damaged or incomplete copy is written again. Only callable inside the single binary.
 */
export async function unpackEmbeddedDirectory(name: string, cacheDir: string, logger: Logger): Promise<string> {
  const manifest = JSON.parse(Buffer.from(getRawAsset(manifestAsset(name))).toString('utf8')) as DirectoryManifest;
  return ensureCachedDirectory({
    root: cacheDir,
    id: manifest.id,
    what: name === 'postgres' ? 'the embedded PostgreSQL' : `the ${name} files`,
    logger,
    fill: async (folder) => {
      await writeDirectory(folder, manifest, (entry) => zstdDecompressSync(new Uint8Array(getRawAsset(fileAsset(name, entry.path)))));
      return manifest;
    },
  });
}
