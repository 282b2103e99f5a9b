import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.ts';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import { moduleNames, modules } from './modules.ts';
import { ConfigError, loadConfig } from '#platform/config.ts';
import { ModuleWiringError } from '#platform/modules/module-container.ts';
import { resolveTopology } from '#platform/modules/topology.ts';
import { createLogger } from '#platform/logger.ts';
import { redactUrl } from '#platform/db/database-names.ts';
import { loadOrCreateDevSecret } from '#platform/dev-secret.ts';
import { seedDemoData } from './demo.ts';
import { ensureDatabase } from '#platform/db/ensure-database.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '#platform/db/embedded-postgres.ts';

// The process entry: config -> database -> app -> listen, and the only place that handles signals.
let config;
try {
  config = loadConfig(process.env, moduleNames);
  // MODULES and REMOTE_MODULES must cover every dependency of what runs here: a configuration mistake, told before any
  // database work (buildApp checks it again, for callers other than this entry).
  resolveTopology(modules, config.modules, config.remoteModules);
} catch (error) {
  if (!(error instanceof ConfigError) && !(error instanceof ModuleWiringError)) throw error;
  process.stderr.write(`${error.message}\nSee the configuration table in README.md.\n`);
  process.exit(78); // EX_CONFIG
}

const logger = createLogger(config.logLevel);
// What has been started so far, so that a signal during start-up stops exactly that.
const started: { app?: ModuleRouter; embedded?: EmbeddedPostgres } = {};

closeWithGrace({ delay: config.shutdownTimeoutMs + 2000, logger: { error: (msg: unknown) => logger.error(msg) } }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'shutting down after an unexpected error');
  else logger.info({ signal }, 'shutting down');
  if (started.app) await Promise.race([started.app.close(), sleep(config.shutdownTimeoutMs)]);
  await started.embedded?.stop();
  // Spans still in the exporter's batch leave before the process does.
  await Promise.race([globalThis.__seamsTelemetry?.shutdown().catch(() => undefined), sleep(1500)]);
  logger.info('stopped');
});

// A process whose every module has a database of its own (DATABASE_URL_<MODULE>) needs no DATABASE_URL, nor the
// embedded server; the platform then works in the first module's database.
let databaseUrl = config.databaseUrl ?? (config.modules.every((module) => module in config.moduleDatabaseUrls) ? config.moduleDatabaseUrls[config.modules[0]!] : undefined);
const embedded = !databaseUrl;
if (!databaseUrl) {
  started.embedded = await startEmbeddedPostgres({ dataDir: path.resolve(config.dataDir, 'postgres'), logger });
  databaseUrl = await ensureDatabase(started.embedded.url, 'seams');
}
if (!config.jwtSecret && !embedded) {
  process.stderr.write('JWT_SECRET is not set: it is required with DATABASE_URL (a string of at least 32 characters).\n');
  process.exit(78);
}
const jwtSecret = config.jwtSecret ?? (await loadOrCreateDevSecret(path.resolve(config.dataDir)));
logger.info({ database: redactUrl(databaseUrl), modules: config.modules }, 'starting');

const app = await buildApp({ config: { ...config, jwtSecret }, logger, modules, databaseUrl });
started.app = app;
await app.listen({ port: config.port, host: config.host });
const address = app.server.address();
const port = address && typeof address === 'object' ? address.port : config.port;
// 0.0.0.0 and :: mean "every interface"; a person needs an address they can type.
const reachable = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
const base = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
logger.info({ url: base, docs: `${base}/docs`, health: `${base}/health/ready` }, `Seams is listening on ${base} (API docs: ${base}/docs)`);

if (embedded) {
  // Local development: demo data and ready-made tokens for a person to copy. On stderr, so stdout stays JSON lines.
  const customerToken = app.jwt.sign({ sub: 'demo-customer', roles: [] });
  const adminToken = app.jwt.sign({ sub: 'demo-admin', roles: ['admin'] });
  const [productId] = await seedDemoData(app, adminToken, logger);
  process.stderr.write(
    [
      '',
      `Seams is running at ${base}  (API docs: ${base}/docs)`,
      '',
      `  CUSTOMER_TOKEN=${customerToken}`,
      `  ADMIN_TOKEN=${adminToken}`,
      '',
      '  Place an order:',
      `  curl -s -X POST ${base}/orders -H "authorization: Bearer ${customerToken}" -H 'content-type: application/json' -d '{"lines":[{"productId":"${productId}","quantity":1}]}'`,
      '',
      '',
    ].join('\n'),
  );
}
