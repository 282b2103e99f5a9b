import { inject } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { modules, moduleNames } from '../../src/modules.ts';
import { loadConfig } from '#platform/config.ts';
import { createLogger } from '#platform/logger.ts';
import type { ModuleRouter } from '#platform/http/module-router.ts';

/** The database global setup created and migrated for this run. */
export function testDatabaseUrl(): string {
  return inject('databaseUrl');
}

/** Builds the whole app on this run's database, as `npm start` would, with logs off unless TEST_LOG_LEVEL is set. */
export async function buildTestApp(env: Record<string, string> = {}): Promise<ModuleRouter> {
  const config = loadConfig({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', ...env }, moduleNames);
  return buildApp({ config, logger: createLogger(config.logLevel), modules, databaseUrl: testDatabaseUrl() });
}
