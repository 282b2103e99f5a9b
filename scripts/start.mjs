// `npm start`: runs dist/app/seams.cjs, the whole app in one file (scripts/build-app.ts), building it first when it is
// missing or older than the sources. From a bundle, a start neither strips types nor resolves and reads a thousand
// files, and Node's compile cache keeps the bundle's compiled code between starts (BENCHMARKS.md, start to ready).
// Plain JavaScript, for the same reason; the node flags of the start script (heap sizes) apply to this process.
import { createRequire, enableCompileCache } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBundle } from './app-bundle-freshness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let bundle;
try {
  bundle = ensureBundle(root);
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(70); // EX_SOFTWARE
}
// The same cache folder as the tests' (test/support/compile-cache.ts), unless NODE_COMPILE_CACHE names another.
enableCompileCache(process.env.NODE_COMPILE_CACHE ?? path.join(root, 'node_modules/.cache/node-compile-cache'));
if (bundle) {
  // A CommonJS file (the form the single binary needs too), so required rather than imported.
  const require = createRequire(import.meta.url);
  require(bundle);
} else {
  // No bundler installed: the sources, as `node --import ./src/telemetry.ts src/main.ts` runs them (telemetry.ts's
  // loader hook applies to the modules imported after it).
  await import('../src/telemetry.ts');
  await import('../src/main.ts');
}
