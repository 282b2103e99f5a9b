import { migrateApp } from '../app.ts';
import { modules } from '../modules.ts';
import type { Config } from '#platform/config.ts';
import type { Logger } from '#platform/logger.ts';
import { redactUrl } from '#platform/db/database-names.ts';
import type { EmbeddedPostgres } from '#platform/db/embedded-postgres.ts';
import { chooseDatabase } from './database.ts';
import type { Runtime } from './runtime.ts';

/**
 * `seams migrate`: provisions the schema and role of each module this process runs (MODULES) and applies its
 * migrations, then exits; for deploy pipelines that migrate before they start the new version.
 */
export async function migrate(config: Config, runtime: Runtime, logger: Logger): Promise<void> {
  let embedded: EmbeddedPostgres | undefined;
  // Stopped half-way: the embedded server goes too, and the exit code says which signal (128 + its number).
  const stopOnSignal = (signal: NodeJS.Signals) => void Promise.resolve(embedded?.stop()).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  process.once('SIGINT', stopOnSignal).once('SIGTERM', stopOnSignal);
  try {
    const database = await chooseDatabase(config, runtime, logger, (server) => (embedded = server));
    await migrateApp({ config, logger, modules, databaseUrl: database.url, migrations: runtime.migrations });
    logger.info({ database: redactUrl(database.url), modules: config.modules }, 'migrations applied');
  } finally {
    await embedded?.stop();
    process.off('SIGINT', stopOnSignal).off('SIGTERM', stopOnSignal);
  }
}
