import path from 'node:path';
import type { Config } from '#platform/config.ts';
import type { Logger } from '#platform/logger.ts';
import { ensureDatabase } from '#platform/db/ensure-database.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '#platform/db/embedded-postgres.ts';
import type { Runtime } from './runtime.ts';

export interface ChosenDatabase {
  /** Where the platform and every module without a database of its own work. */
  readonly url: string;
  /** The server this process started, when no DATABASE_URL was given; to stop on exit. */
  readonly embedded: EmbeddedPostgres | undefined;
}

/**
 * DATABASE_URL, or the embedded PostgreSQL in DATA_DIR when it is unset. A process whose every module has a database
 * of its own (DATABASE_URL_<MODULE>) needs neither; the platform then works in the first module's database.
 * `onStarted` hears of the embedded server as soon as it runs, so that a signal during start-up can stop it.
 */
export async function chooseDatabase(config: Config, runtime: Runtime, logger: Logger, onStarted: (embedded: EmbeddedPostgres) => void): Promise<ChosenDatabase> {
  const url = config.databaseUrl ?? (config.modules.every((module) => module in config.moduleDatabaseUrls) ? config.moduleDatabaseUrls[config.modules[0]!] : undefined);
  if (url) return { url, embedded: undefined };
  const embedded = await startEmbeddedPostgres({
    dataDir: path.resolve(config.dataDir, 'postgres'),
    logger,
    cacheDir: config.cacheDir,
    ...(runtime.postgres ? { distribution: runtime.postgres(config.cacheDir, logger) } : {}),
  });
  onStarted(embedded);
  return { url: await ensureDatabase(embedded.url, 'seams'), embedded };
}
