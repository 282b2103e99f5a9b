import { inject } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { modules as shopModules } from '../../src/modules.ts';
import { loadConfig } from '#platform/config.ts';
import { createLogger } from '#platform/logger.ts';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import type { AnyModule } from '#platform/modules/define-module.ts';

/** The database global setup created and migrated for this run. */
export function testDatabaseUrl(): string {
  return inject('databaseUrl');
}

export interface TestAppOptions {
  /** Environment settings, as `npm start` would read them. */
  readonly env?: Record<string, string>;
  /** Another module list than the shop's, e.g. probe modules for event-bus tests. */
  readonly modules?: readonly AnyModule[];
  readonly migrationsDir?: string;
}

/** Builds the app on this run's database, as `npm start` would, with logs off unless TEST_LOG_LEVEL is set. */
export async function buildTestApp(options: TestAppOptions = {}): Promise<ModuleRouter> {
  const modules = options.modules ?? shopModules;
  const config = loadConfig({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', ...options.env }, modules.map((module) => module.name));
  return buildApp({
    config,
    logger: createLogger(config.logLevel),
    modules,
    databaseUrl: testDatabaseUrl(),
    ...(options.migrationsDir ? { migrationsDir: options.migrationsDir } : {}),
  });
}
