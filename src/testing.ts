import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appParts, buildApp, type AppOptions as BuildAppOptions } from './app.ts';
import { moduleByName, moduleNames } from './modules.ts';
import { loadConfig } from '#platform/config.ts';
import { createLogger } from '#platform/logger.ts';
import { migrationsFolder } from '#platform/db/migrate.ts';
import { createHarness } from '#platform/testing/harness.ts';
import { checkingLogSink } from '../test/support/log-lines.ts';

/**
 * The test harness bound to this system's modules: `import { useApp, useModule } from '#testing'` in any test.
 * docs/testing.md shows how to use it.
 */

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

const projectMigrations = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'migrations');

/** What a test may give `buildApp` beyond the harness's own options (`useApp({ extras: { … } })`). */
export interface TestAppExtras extends Pick<BuildAppOptions, 'consoleSignInCode' | 'traces'> {
  /** Called with every log line the app writes, parsed, after the sink has checked it. */
  readonly onLogLine: (line: Record<string, unknown>) => void;
}

export const { useApp, useModule, startApp } = createHarness<typeof moduleByName, TestAppExtras>({
  modules: moduleByName,
  async build({ extras, modules, env, databaseUrl, clock, migrations }) {
    const { onLogLine, ...appExtras } = extras;
    const config = loadConfig(
      // Small pools: test files run side by side against a server that may allow only 100 connections in all.
      // Logs at info into a sink that checks every line (test/support/log-lines.ts) and shows them only when
      // TEST_LOG_LEVEL is set: the lines a test never looks at must be clean JSON too.
      { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info', JWT_SECRET: TEST_JWT_SECRET, DB_POOL_MAX: '4', ...env },
      modules === undefined ? moduleNames : modules.map((module) => module.name),
    );
    const app = await buildApp({
      config,
      logger: createLogger(config.logLevel, checkingLogSink(process.env.TEST_LOG_LEVEL ? process.stdout : undefined, onLogLine)),
      modules,
      databaseUrl,
      clock,
      ...appExtras,
      ...(migrations ? { migrations: migrations((root) => migrationsFolder(root ?? projectMigrations)) } : {}),
    });
    return { app, parts: appParts(app) };
  },
});

export { createTestClock, type TestClock } from '#platform/testing/test-clock.ts';
export { UnscriptedCallError } from '#platform/testing/stubs.ts';
