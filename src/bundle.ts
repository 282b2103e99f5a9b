import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Migration } from 'kysely/migration';
import { bundledMigrations } from '#platform/db/migrate.ts';
import { startTelemetryFromEnv } from '#platform/telemetry/start-from-env.ts';
import type { Runtime } from './cli/runtime.ts';
import { sourceRuntime } from './cli/source-runtime.ts';

/** What scripts/build-app.ts puts into the bundle `npm start` runs (dist/app/seams.cjs) besides the code. */
export interface BundleContents {
  /** Every module's migrations, by module and name. */
  readonly migrations: Readonly<Record<string, Readonly<Record<string, Migration>>>>;
}

/**
 * The entry of the bundle that `npm start` runs (scripts/start.mjs), called by the entry file the build generates: the
 * same command line as from source and in the single binary, with the project's folders for PostgreSQL and the static
 * files. Tracing starts first and only then is the rest of the bundle loaded: esbuild runs a module that is imported
 * dynamically when it is imported, so node:http is required after the SDK's hook is in place, as with `--import`.
 */
export function runBundle(contents: BundleContents): void {
  // The bundle is dist/app/seams.cjs: the project is two folders up (import.meta.url is the bundle's own path).
  const bundleFile = fileURLToPath(import.meta.url);
  const projectRoot = path.resolve(path.dirname(bundleFile), '..', '..');
  const require = createRequire(bundleFile);
  const runtime: Runtime = {
    // The version and commit of the checkout, read when asked, as from the sources: the bundle is only a faster way to
    // run them, and a commit changes no file, so the commit the bundle was built at can be an older one. (dist/app/ is
    // as deep in the project as src/cli/, so the source runtime finds the project's package.json from the bundle.)
    ...sourceRuntime,
    migrations: bundledMigrations(contents.migrations),
    // The installed packages' folders: in a bundle, @fastify/swagger-ui's own `__dirname` is dist/app, and so would be
    // the console's default folder.
    assetDirectories: async () => ({
      'swagger-ui': path.join(path.dirname(require.resolve('@fastify/swagger-ui/package.json')), 'static'),
      console: path.join(projectRoot, 'dist', 'console'),
    }),
  };
  startTelemetryFromEnv(process.env)
    .then(() => import('./cli/run-command.ts'))
    .then(({ runCommand }) => runCommand(process.argv.slice(2), process.env, runtime))
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(70); // EX_SOFTWARE
    });
}
