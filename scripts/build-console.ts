/**
 * `npm run build:console`: builds the console's page (console/, TypeScript) with Vite into dist/console/, which the app
 * serves under /console/. `--if-stale` (run before `npm start` and `npm run dev`) builds only when the sources or the
 * versions of Vite and the page's libraries changed since the last build, which it records in dist/console/.source-hash:
 * so a fresh clone's first `npm start` builds it (about a second), and later starts do not.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CONSOLE_SOURCES = path.join(root, 'console');
export const CONSOLE_OUTPUT = path.join(root, 'dist', 'console');
const HASH_FILE = path.join(CONSOLE_OUTPUT, '.source-hash');

/** A digest of every source file of the page and of the tools and libraries that go into its build. */
async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  const files = (await readdir(CONSOLE_SOURCES, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  for (const file of files) hash.update(path.relative(root, file)).update('\0').update(await readFile(file)).update('\0');
  for (const pkg of ['vite', '@dagrejs/dagre']) {
    const { version } = JSON.parse(await readFile(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string };
    hash.update(`${pkg}@${version}\0`);
  }
  return hash.digest('hex');
}

/** Builds the page unless `ifStale` and it is up to date. Returns whether it built. */
export async function buildConsole(options: { ifStale?: boolean; quiet?: boolean } = {}): Promise<boolean> {
  const digest = await sourceHash();
  if (options.ifStale && (await readFile(HASH_FILE, 'utf8').catch(() => '')) === digest) return false;
  const started = performance.now();
  // Loaded only when a build is due: Vite takes a while to load.
  const { build } = await import('vite');
  await build({ configFile: path.join(CONSOLE_SOURCES, 'vite.config.ts'), logLevel: 'warn' });
  await writeFile(HASH_FILE, digest);
  if (!options.quiet) process.stdout.write(`build:console: built dist/console/ in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildConsole({ ifStale: process.argv.includes('--if-stale') });
}
