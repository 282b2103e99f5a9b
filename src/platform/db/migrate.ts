import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { FileMigrationProvider, Migrator } from 'kysely/migration';
import type { Logger } from 'pino';

/**
 * Applies a module's migrations from `migrations/<module>/` under the module's own role, so a migration cannot touch
 * another module's schema either. The history table lives in the module's schema.
 */
export async function migrateModule(db: Kysely<unknown>, options: { module: string; schema: string; folder: string; logger: Logger }): Promise<void> {
  const folderExists = await fs.stat(options.folder).then((stat) => stat.isDirectory(), () => false);
  if (!folderExists) return;
  const migrator = new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: options.folder }),
    migrationTableSchema: options.schema,
  });
  const { error, results } = await migrator.migrateToLatest();
  for (const result of results ?? []) {
    if (result.status === 'Success') options.logger.info({ module: options.module, migration: result.migrationName }, 'migration applied');
    if (result.status === 'Error') options.logger.error({ module: options.module, migration: result.migrationName }, 'migration failed');
  }
  if (error) throw new Error(`Migrations of module "${options.module}" failed`, { cause: error });
}
