import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildApp } from '../src/app.ts';
import { modules, moduleNames } from '../src/modules.ts';
import { loadConfig } from '#platform/config.ts';
import { createLogger } from '#platform/logger.ts';
import { redactUrl } from '#platform/db/database-names.ts';
import { ensureDatabase } from '#platform/db/ensure-database.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '#platform/db/embedded-postgres.ts';
import { migrationsFolder } from '#platform/db/migrate.ts';
import { prepareModuleDatabases } from '#platform/db/module-databases.ts';
import { DatabaseAvailability } from '#platform/db/database-availability.ts';
import type { TemplateDatabase } from '#platform/testing/test-database.ts';
import { dropStaleTestDatabases, dropTestDatabase, testDatabaseName } from './support/test-database.ts';
import { ensureBundle } from '../scripts/app-bundle-freshness.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A fresh, migrated database for this run. */
    databaseUrl: string;
    /** The server it lives on, as a superuser-ish URL (for tests that create their own databases). */
    serverUrl: string;
    /** Every module provisioned and migrated, nothing else: the harness copies its apps' databases from it. */
    testTemplate: TemplateDatabase | undefined;
  }
}

/**
 * One fresh database per run: on DATABASE_URL's server when set, else on an embedded PostgreSQL kept in
 * .data/test-postgres. Every module is provisioned and migrated once here; teardown drops the database and its roles.
 * Also a template: a database with every module's schema and role, migrated and never used, that the harness copies
 * (CREATE DATABASE … TEMPLATE) for each app of every module instead of migrating a new database each time.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The bundle npm start runs (scripts/start.mjs), built once here if stale rather than by each process test at once.
  ensureBundle(path.resolve(import.meta.dirname, '..'));
  const logger = createLogger('warn');
  let embedded: EmbeddedPostgres | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: path.resolve('.data/test-postgres'), logger });
    serverUrl = embedded.url;
  }
  await dropStaleTestDatabases(serverUrl);
  const database = testDatabaseName();
  const databaseUrl = await ensureDatabase(serverUrl, database);
  process.stdout.write(`test database: ${redactUrl(databaseUrl)}${embedded ? ' (embedded)' : ''}\n`);

  const config = loadConfig({ LOG_LEVEL: 'warn', JWT_SECRET: 'global-setup-secret-of-at-least-32-chars' }, moduleNames);
  const app = await buildApp({ config, logger, modules, databaseUrl });
  await app.close();

  const template = await migratedTemplate(serverUrl, logger);

  project.provide('databaseUrl', databaseUrl);
  project.provide('serverUrl', serverUrl);
  project.provide('testTemplate', template);
  return async () => {
    await dropTestDatabase(serverUrl, template.database);
    await dropTestDatabase(serverUrl, database);
    await embedded?.stop();
  };
}

/** Every module's schema and role, and its migrations, as the app's first step makes them; no app ever runs on it. */
async function migratedTemplate(serverUrl: string, logger: ReturnType<typeof createLogger>): Promise<TemplateDatabase> {
  const database = testDatabaseName();
  const url = await ensureDatabase(serverUrl, database);
  const availability = new DatabaseAvailability({ logger, connectTimeoutMs: 10_000, poolWaitMs: 10_000 });
  const databases = await prepareModuleDatabases({
    url,
    modules,
    poolMax: 1,
    availability,
    migrations: migrationsFolder(path.resolve('migrations')),
    logger,
    onPublishCommitted: () => undefined,
  });
  availability.close();
  await Promise.all([...databases.values()].map((db) => db.destroy()));
  return { database, modules: moduleNames };
}
