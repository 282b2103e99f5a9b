import { inject } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { modules as shopModules } from '../../src/modules.ts';
import { loadConfig } from '#platform/config.ts';
import { createLogger } from '#platform/logger.ts';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import type { AnyModule } from '#platform/modules/define-module.ts';
import { ensureDatabase } from '#platform/db/ensure-database.ts';
import { dropTestDatabase, testDatabaseName } from '#platform/testing/test-database.ts';
import { checkingLogSink } from './log-lines.ts';
import type { ShopClient } from './shop-client.ts';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

/** Bearer headers for a customer (a fresh id unless given) and for an admin, signed with the app's secret. */
export function tokens(app: Pick<ShopClient, 'jwt'>, customerId = `customer-${Math.random().toString(36).slice(2)}`) {
  return {
    customerId,
    customer: { authorization: `Bearer ${app.jwt.sign({ sub: customerId, roles: [] })}` },
    admin: { authorization: `Bearer ${app.jwt.sign({ sub: 'admin-1', roles: ['admin'] })}` },
  };
}

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
  /** Another database than the run's shared one (see {@link isolatedDatabase}). */
  readonly databaseUrl?: string;
}

/**
 * A database of the test's own, for tests that count what one process did (metrics, spans): on the shared database,
 * the apps of other test files take their share of the events.
 */
export async function isolatedDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const serverUrl = inject('serverUrl');
  const name = testDatabaseName();
  const url = await ensureDatabase(serverUrl, name);
  return { url, drop: () => dropTestDatabase(serverUrl, name) };
}

/**
 * Builds the app on this run's database, as `npm start` would. It logs at info (or TEST_LOG_LEVEL) into a sink that
 * checks every line (log-lines.ts) and prints them only when TEST_LOG_LEVEL is set.
 */
export async function buildTestApp(options: TestAppOptions = {}): Promise<ModuleRouter> {
  const modules = options.modules ?? shopModules;
  const config = loadConfig(
    // Small pools: two test files run at once against a server that may allow only 100 connections in all.
    { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info', JWT_SECRET: TEST_JWT_SECRET, DB_POOL_MAX: '4', ...options.env },
    modules.map((module) => module.name),
  );
  return buildApp({
    config,
    logger: createLogger(config.logLevel, checkingLogSink(process.env.TEST_LOG_LEVEL ? process.stdout : undefined)),
    modules,
    databaseUrl: options.databaseUrl ?? testDatabaseUrl(),
    ...(options.migrationsDir ? { migrationsDir: options.migrationsDir } : {}),
  });
}
