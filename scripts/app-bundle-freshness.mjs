// Whether dist/app/seams.cjs, the bundle `npm start` runs (scripts/start.mjs), was built from the sources as they are,
// and building it when not. Plain JavaScript, not TypeScript: it runs in the app's own process before the bundle,
// and the first .ts file a process loads costs it Node's type stripper (about 17 MB of RSS and start-up CPU).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The bundle and its stamp, relative to the project. */
export const APP_BUNDLE = 'dist/app/seams.cjs';
export const STAMP_FILE = 'dist/app/stamp.json';

/** What goes into the bundle, or decides how it is built; folders are walked, their test files left out. */
export const BUNDLE_INPUTS = ['src', 'modules', 'migrations', 'package.json', 'package-lock.json', 'scripts/app-bundle.ts', 'scripts/build-app.ts', 'scripts/app-bundle-freshness.mjs'];

/** The fingerprint of the bundle's inputs (see {@link inputsFingerprint}). */
export function bundleFingerprint(root) {
  return inputsFingerprint(root, BUNDLE_INPUTS);
}

/**
 * A digest of the path, size and modification time of every file of `inputs` (files or folders, relative to `root`):
 * a few hundred stat calls, a few milliseconds. A file added, removed, edited, or touched by a checkout changes it.
 * (The content is not read: that would cost the start more than the rare needless rebuild it saves.)
 */
export function inputsFingerprint(root, inputs) {
  const hash = createHash('sha256');
  const visit = (relative) => {
    const full = path.join(root, relative);
    let stats;
    try {
      stats = statSync(full);
    } catch {
      return hash.update(`${relative} absent\n`);
    }
    if (!stats.isDirectory()) return hash.update(`${relative} ${stats.size} ${stats.mtimeMs}\n`);
    for (const name of readdirSync(full).sort()) if (!name.endsWith('.test.ts')) visit(path.join(relative, name));
  };
  for (const input of inputs) visit(input);
  return hash.digest('hex');
}

/** Why the bundle must be built, or undefined when it is up to date. */
export function staleness(root) {
  if (!existsSync(path.join(root, APP_BUNDLE))) return `${APP_BUNDLE} is missing`;
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(path.join(root, STAMP_FILE), 'utf8'));
  } catch {
    return `${STAMP_FILE} is missing or unreadable`;
  }
  if (stamp.node !== process.version) return `it was built by Node.js ${stamp.node}, this is ${process.version}`;
  if (stamp.fingerprint !== bundleFingerprint(root)) return 'the sources changed since it was built';
  return undefined;
}

/** Whether the bundler is installed: not after an install without dev dependencies (`npm ci --omit=dev`). */
function canBuild(root) {
  try {
    createRequire(path.join(root, 'package.json')).resolve('esbuild');
    return true;
  } catch {
    return false;
  }
}

/**
 * The bundle's path, after building it (`node scripts/build-app.ts`, or `build`) when it is missing or stale. The
 * build's output goes to stderr: stdout is the app's JSON log lines. Throws an Error whose message says plainly what
 * failed when the build does. Undefined when it would have to be built and esbuild (a dev dependency) is not
 * installed: then the caller runs the sources, as npm start did before it ran a bundle.
 */
export function ensureBundle(root, build = [process.execPath, 'scripts/build-app.ts']) {
  const reason = staleness(root);
  if (reason && !canBuild(root)) {
    process.stderr.write(`npm start: running the sources, not ${APP_BUNDLE} (${reason}, and esbuild, a dev dependency, is not installed to build it).\n`);
    return undefined;
  }
  if (reason) {
    process.stderr.write(`npm start: building ${APP_BUNDLE} (${reason}).\n`);
    const result = spawnSync(build[0], build.slice(1), { cwd: root, stdio: ['ignore', 2, 2] });
    const failure = result.error ? result.error.message : result.status !== 0 ? `it exited with ${result.signal ?? `code ${result.status}`}` : staleness(root);
    if (failure) {
      throw new Error(
        `npm start: could not build ${APP_BUNDLE} (${build.slice(1).join(' ')}): ${failure}. Its output is above. ` +
          'Fix what it says and run npm start again; `npm run dev` runs the sources without a bundle.',
      );
    }
  }
  return path.join(root, APP_BUNDLE);
}
