/**
 * `npm run build`: writes dist/app/seams.cjs, the one file `npm start` runs (scripts/start.mjs builds it itself when it
 * is missing or older than the sources). Running a bundle rather than the .ts files saves Node's type stripper and the
 * resolution and reading of some thousand files at each start (BENCHMARKS.md); `npm run dev` and the tests run the
 * sources. The bundle is written to a temporary file and renamed, and its stamp last, so that a start that runs
 * beside a build (two at once, or one stopped half-way) finds the old bundle, the new one, or a stale stamp: never half
 * a file.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleApp } from './app-bundle.ts';
import { APP_BUNDLE, bundleFingerprint, STAMP_FILE } from './app-bundle-freshness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const started = performance.now();
// Taken before the build: a source changed while it runs makes the next start build again.
const fingerprint = bundleFingerprint(root);
const outfile = path.join(root, APP_BUNDLE);
const partial = `${outfile}.${process.pid}.tmp`;
try {
  await bundleApp({ entry: { file: 'src/bundle.ts', call: 'runBundle' }, outfile: partial });
  await rename(partial, outfile);
} finally {
  await rm(partial, { force: true });
}
await writeFile(path.join(root, STAMP_FILE), `${JSON.stringify({ fingerprint, node: process.version })}\n`);
process.stdout.write(`build: wrote ${APP_BUNDLE} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
