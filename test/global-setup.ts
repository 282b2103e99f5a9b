import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildApp } from '../src/app.ts';
import { modules, moduleNames } from '../src/modules.ts';
import { loadConfig } from '#platform/config.ts';
import { createLogger } from '#platform/logger.ts';
import { redactUrl } from '#platform/db/database-names.ts';
import { ensureDatabase } from '#platform/db/ensure-database.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '#platform/db/embedded-postgres.ts';
import { dropStaleTestDatabases, dropTestDatabase, testDatabaseName } from './support/test-database.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A fresh, migrated database for this run. */
    databaseUrl: string;
    /** The server it lives on, as a superuser-ish URL (for tests that create their own databases). */
    serverUrl: string;
  }
}

/**
 * One fresh database per run: on DATABASE_URL's server when set, else on an embedded PostgreSQL kept in
 * .data/test-postgres. Every module is provisioned and migrated once here; teardown drops the database and its roles.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
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

  project.provide('databaseUrl', databaseUrl);
  project.provide('serverUrl', serverUrl);
  return async () => {
    await dropTestDatabase(serverUrl, database);
    await embedded?.stop();
  };
}
