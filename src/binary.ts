import path from 'node:path';
import type { Migration } from 'kysely/migration';
import { bundledMigrations } from '#platform/db/migrate.ts';
import { unpackEmbeddedDirectory } from '#platform/files/embedded-directories.ts';
import { EXIT_CODES, StartupError } from '#platform/startup-error.ts';
import { startTelemetryFromEnv } from '#platform/telemetry/start-from-env.ts';
import { runCommand } from './cli/run-command.ts';
import type { BuildInfo, Runtime } from './cli/runtime.ts';

/** What scripts/build-binary.ts puts into the single binary besides the code. */
export interface BinaryContents {
  readonly buildInfo: BuildInfo;
  /** The folders it carries as assets (`postgres`, `swagger-ui`, …), unpacked into CACHE_DIR when needed. */
  readonly directories: readonly string[];
  /** Every module's migrations, by module and name. */
  readonly migrations: Readonly<Record<string, Readonly<Record<string, Migration>>>>;
}

/**
 * The entry of the single binary (dist/seams-linux-x64), called by the entry file that the build generates. The same
 * command line as `npm start`; only where the migrations, the PostgreSQL programs and the static files come from
 * differs, and tracing is started here, as nothing can patch a bundle while it loads.
 */
export function runBinary(contents: BinaryContents): void {
  const runtime: Runtime = {
    program: path.basename(process.execPath),
    buildInfo: () => contents.buildInfo,
    migrations: bundledMigrations(contents.migrations),
    postgres: (cacheDir, logger) => async () => {
      if (!contents.directories.includes('postgres')) {
        throw new StartupError('This binary was built without the embedded PostgreSQL (--without-postgres): set DATABASE_URL.', { exitCode: EXIT_CODES.config });
      }
      return unpackEmbeddedDirectory('postgres', cacheDir, logger);
    },
    assetDirectories: async (cacheDir, logger) => {
      const names = contents.directories.filter((name) => name !== 'postgres');
      return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await unpackEmbeddedDirectory(name, cacheDir, logger)])));
    },
    startTelemetry: () => startTelemetryFromEnv(process.env),
  };
  runCommand(process.argv.slice(2), process.env, runtime).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(70); // EX_SOFTWARE
  });
}
