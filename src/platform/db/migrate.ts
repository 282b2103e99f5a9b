import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { FileMigrationProvider, Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import type { Logger } from 'pino';

/**
 * Where each module's migrations come from: `<folder>/<module>/NNNN_*.ts` files when running from source, or the
 * migrations bundled into the single binary at build time. Undefined: the module has no migrations.
 */
export type MigrationSource = (module: string) => Promise<MigrationProvider | undefined>;

/** Migrations as files in `<root>/<module>/`. */
export function migrationsFolder(root: string): MigrationSource {
  return async (module) => {
    const folder = path.join(root, module);
    const folderExists = await fs.stat(folder).then((stat) => stat.isDirectory(), () => false);
    return folderExists ? new FileMigrationProvider({ fs, path, migrationFolder: folder }) : undefined;
  };
}

/** Migrations compiled into the program, by module and then by name (the file name without its extension). */
export function bundledMigrations(byModule: Readonly<Record<string, Readonly<Record<string, Migration>>>>): MigrationSource {
  return async (module) => {
    const migrations = byModule[module];
    return migrations ? { getMigrations: async () => ({ ...migrations }) } : undefined;
  };
}

/**
 * Applies a module's migrations under the module's own role, so a migration cannot touch another module's schema
 * either. The history table lives in the module's schema.
 */
export async function migrateModule(db: Kysely<unknown>, options: { module: string; schema: string; migrations: MigrationSource; logger: Logger }): Promise<void> {
  const provider = await options.migrations(options.module);
  if (!provider) return;
  const migrator = new Migrator({ db, provider, migrationTableSchema: options.schema });
  const { error, results } = await migrator.migrateToLatest();
  for (const result of results ?? []) {
    if (result.status === 'Success') options.logger.info({ module: options.module, migration: result.migrationName }, 'migration applied');
    if (result.status === 'Error') options.logger.error({ module: options.module, migration: result.migrationName }, 'migration failed');
  }
  if (error) throw new Error(`Migrations of module "${options.module}" failed`, { cause: error });
}
