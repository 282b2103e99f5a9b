import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import closeWithGrace from 'close-with-grace';
import { buildApp } from '../app.ts';
import { seedDemoData } from '../demo.ts';
import { modules } from '../modules.ts';
import type { Config } from '#platform/config.ts';
import type { Logger } from '#platform/logger.ts';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import { redactUrl } from '#platform/db/database-names.ts';
import type { EmbeddedPostgres } from '#platform/db/embedded-postgres.ts';
import { loadOrCreateDevSecret } from '#platform/dev-secret.ts';
import { EXIT_CODES, StartupError } from '#platform/startup-error.ts';
import { SignInCode } from '#platform/console/sign-in-code.ts';
import { chooseDatabase } from './database.ts';
import { onStopSignals } from './stop-signals.ts';
import type { Runtime } from './runtime.ts';

/** `seams` / `npm start`: database -> app -> listen, until SIGTERM or SIGINT stops it gracefully. */
export async function serve(config: Config, runtime: Runtime, logger: Logger): Promise<void> {
  const started: Started = {};

  const stopStarted = async () => {
    if (started.app) await Promise.race([started.app.close(), sleep(config.shutdownTimeoutMs)]);
    await started.embedded?.stop();
  };
  // close-with-grace handles the other signals and unexpected errors; SIGINT and SIGTERM are onStopSignals', which
  // tells one Ctrl-C delivered twice from a second press.
  const grace = closeWithGrace({ delay: config.shutdownTimeoutMs + 2000, skip: ['SIGINT', 'SIGTERM'], logger: { error: (msg: unknown) => logger.error(msg) } }, async ({ signal, err }) => {
    started.stopping = true;
    if (err) logger.error({ err }, 'shutting down after an unexpected error');
    else if (signal) logger.info({ signal }, 'shutting down');
    await stopStarted();
    // Spans still in the exporter's batch leave before the process does.
    await Promise.race([globalThis.__seamsTelemetry?.shutdown().catch(() => undefined), sleep(1500)]);
    logger.info('stopped');
  });
  onStopSignals((signal) => {
    logger.info({ signal }, 'shutting down');
    void grace.close();
  });
  try {
    await start(config, runtime, logger, started);
  } catch (error) {
    // A failed start leaves no server behind (the embedded PostgreSQL would outlive this process).
    await stopStarted().catch(() => undefined);
    throw error;
  }
}

/** What has been started so far, so that a signal during start-up stops exactly that. */
interface Started {
  app?: ModuleRouter;
  embedded?: EmbeddedPostgres;
  /** A signal arrived: what start-up still does is moot. */
  stopping?: boolean;
}

async function start(config: Config, runtime: Runtime, logger: Logger, started: Started): Promise<void> {

  const database = await chooseDatabase(config, runtime, logger, (embedded) => (started.embedded = embedded));
  if (!config.jwtSecret && !config.jwt.jwksUrl && !database.embedded) {
    throw new StartupError('JWT_SECRET is not set: it is required with DATABASE_URL unless JWT_JWKS_URL is set (a string of at least 32 characters).', {
      exitCode: EXIT_CODES.config,
    });
  }
  const jwtSecret = config.jwtSecret ?? (config.jwt.jwksUrl ? undefined : await loadOrCreateDevSecret(path.resolve(config.dataDir)));
  logger.info({ database: redactUrl(database.url), modules: config.modules }, 'starting');

  const assetDirectories = (await runtime.assetDirectories?.(config.cacheDir, logger)) ?? {};
  // Only a local development database gets a sign-in link: with DATABASE_URL, a person signs in with a token.
  const consoleSignInCode = database.embedded ? new SignInCode() : undefined;
  const app = await buildApp({
    config: { ...config, jwtSecret },
    logger,
    modules,
    databaseUrl: database.url,
    migrations: runtime.migrations,
    assetDirectories,
    ...(consoleSignInCode ? { consoleSignInCode } : {}),
  });
  started.app = app;
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = address && typeof address === 'object' ? address.port : config.port;
  // 0.0.0.0 and :: mean "every interface"; a person needs an address they can type.
  const reachable = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const base = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
  logger.info(
    { url: base, docs: `${base}/docs`, console: `${base}/console/`, health: `${base}/health/ready` },
    `Seams is listening on ${base} (API docs: ${base}/docs, console: ${base}/console/)`,
  );

  // With an identity provider's keys (JWT_JWKS_URL), tokens of our own would be refused: no demo tokens or data then.
  if (database.embedded && !config.jwt.jwksUrl) {
    // Local development: demo data and ready-made tokens for a person to copy. On stderr, so stdout stays JSON lines.
    const customerToken = app.jwt.sign({ sub: 'demo-customer', roles: [] });
    const adminToken = app.jwt.sign({ sub: 'demo-admin', roles: ['admin'] });
    // A signal during seeding closes the app under it: then there is nothing to seed or print.
    const seeded = await seedDemoData(app, adminToken, logger).catch((error: unknown) => {
      if (started.stopping) return undefined;
      throw error;
    });
    if (!seeded) return;
    const [productId] = seeded;
    process.stderr.write(
      [
        '',
        `Seams is running at ${base}  (API docs: ${base}/docs)`,
        '',
        // The code is in the fragment: it never reaches a server log or a Referer header.
        `  Console (signs you in as the local admin, once): ${base}/console/#code=${consoleSignInCode!.code}`,
        '',
        `  CUSTOMER_TOKEN=${customerToken}`,
        `  ADMIN_TOKEN=${adminToken}`,
        '',
        ...(productId
          ? [
              '  Place an order:',
              `  curl -s -X POST ${base}/orders -H "authorization: Bearer ${customerToken}" -H 'content-type: application/json' -d '{"lines":[{"productId":"${productId}","quantity":1}]}'`,
              '',
            ]
          : []),
        '',
      ].join('\n'),
    );
  }
}
