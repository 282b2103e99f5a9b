import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fastifyAwilixPlugin } from '@fastify/awilix';
import type { Kysely } from 'kysely';
import { ConfigError, type Config } from '#platform/config.ts';
import type { Logger } from '#platform/logger.ts';
import { prepareModuleDatabases } from '#platform/db/module-databases.ts';
import { placeModules } from '#platform/db/database-placement.ts';
import { createPlatformDatabase, pingDatabase } from '#platform/db/platform-database.ts';
import { eventAdminRoutes } from '#platform/events/admin-routes.ts';
import type { EventBus } from '#platform/events/event-bus.ts';
import { EventAdmin } from '#platform/events/event-admin.ts';
import { createEventMetrics } from '#platform/events/event-metrics.ts';
import { createEventBus, listSubscriptions } from '#platform/events/event-wiring.ts';
import { planEventTopology } from '#platform/events/event-topology.ts';
import { createPublisher } from '#platform/events/publisher.ts';
import type { EventHandler } from '#platform/events/subscription.ts';
import { adminOnly } from '#platform/http/auth.ts';
import { healthRoutes } from '#platform/http/health.ts';
import { createHttpServer } from '#platform/http/http-server.ts';
import { metricsRoute } from '#platform/http/metrics-route.ts';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import type { AnyModule } from '#platform/modules/define-module.ts';
import { createAppContainer, handlerName, key, registerModules, resolveAll } from '#platform/modules/module-container.ts';
import { assertNoSyncCycle } from '#platform/modules/module-registry.ts';
import { serveContracts } from '#platform/modules/contract-server.ts';
import { createRemoteApis } from '#platform/modules/remote-client.ts';
import { resolveTopology } from '#platform/modules/topology.ts';
import { createAppMetrics } from '#platform/telemetry/app-metrics.ts';
import { currentTraceCarrier } from '#platform/telemetry/tracing.ts';

/** Retention deletes in small batches on this beat, away from the hot path. */
const RETENTION_INTERVAL_MS = 60_000;

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface AppOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Every module of the system (src/modules.ts); `config.modules` says which of them run here. */
  readonly modules: readonly AnyModule[];
  /** A connection string for a user that may create roles and schemas in the target database. */
  readonly databaseUrl: string;
  /** Where `<module>/` migration folders live; defaults to the project's `migrations/`. */
  readonly migrationsDir?: string;
}

/**
 * Builds the app from a config and a module list: provisions each local module's schema and role, migrates it under
 * that role, wires the container, the event bus and the routes. Tests call this; only `main.ts` touches the process.
 */
export async function buildApp(options: AppOptions): Promise<ModuleRouter> {
  const { config, logger } = options;
  if (!config.jwtSecret) throw new ConfigError(['JWT_SECRET is not set: expected a string of at least 32 characters']);
  const topology = resolveTopology(options.modules, config.modules, config.remoteModules);
  const local = topology.local;
  const placement = placeModules(local, options.databaseUrl, config.moduleDatabaseUrls);
  const localNames = new Set(config.modules);
  // A subscriber reads its producer's outbox directly only when both run here, in the same database.
  const sharesLog = (producer: string, subscriber: string) => localNames.has(producer) && localNames.has(subscriber) && placement.sameDatabase(producer, subscriber);
  // Which events cross processes (over NATS); fails here, before any database work, if they do and NATS_URL is unset.
  const eventTopology = planEventTopology({ modules: options.modules, local: config.modules, natsUrl: config.natsUrl, sharesLog });

  const metrics = createAppMetrics({ serviceName: config.otel.serviceName, otlpEndpoint: config.otel.endpoint });
  // Bound once the bus exists; commits that publish before then are found by the bus's first pass.
  const delivery: { bus?: EventBus } = {};
  const databases = new Map<string, Kysely<unknown>>();
  // The platform's own connection to each database, for work across modules' event tables (lag, dead letters, retention).
  const platformDbs = new Map<string, Kysely<unknown>>();
  for (const [url, group] of placement.groups) {
    const prepared = await prepareModuleDatabases({
      url,
      modules: group,
      poolMax: config.dbPoolMax,
      migrationsDir: options.migrationsDir ?? path.join(projectRoot, 'migrations'),
      logger,
      onPublishCommitted: (module, events) => delivery.bus?.published(module, events),
      readsOutbox: sharesLog,
    });
    for (const [module, db] of prepared) databases.set(module, db);
    platformDbs.set(url, createPlatformDatabase(url, logger));
  }

  const app = await createHttpServer({ logger, jwtSecret: config.jwtSecret, meter: metrics.meter('seams.http') });
  app.addHook('onClose', async () => {
    // Stop delivering before the pools the handlers write through go away.
    await delivery.bus?.stop();
    await Promise.all([...databases.values(), ...platformDbs.values()].map((db) => db.destroy()));
    await metrics.shutdown();
  });

  const container = createAppContainer();
  await app.register(fastifyAwilixPlugin, { container, disposeOnClose: true, disposeOnResponse: false, asyncInit: false, eagerInject: false });
  const { viewOf, calls } = registerModules(container, local, (module) => ({
    db: databases.get(module.name),
    logger: logger.child({ module: module.name }),
    config,
    events: createPublisher(module.name, currentTraceCarrier),
    metrics: metrics.meter(`seams.${module.name}`),
  }), createRemoteApis(topology.remote, { serviceToken: config.serviceToken, ...config.remote, logger }));
  resolveAll(container, local);
  assertNoSyncCycle(calls);
  await serveContracts(app, container, local, config.serviceToken);

  const subscriptions = listSubscriptions(local, eventTopology);
  const bus = await createEventBus({
    modules: local,
    databaseOf: (module) => databases.get(module)!,
    handlerOf: (module, subscription) => container.resolve<EventHandler>(key(module, handlerName(subscription))),
    adminUrl: options.databaseUrl,
    retry: { maxAttempts: config.events.maxAttempts, baseDelayMs: config.events.retryBaseMs, maxDelayMs: config.events.retryMaxMs },
    batchSize: config.events.batchSize,
    pollIntervalMs: config.events.pollIntervalMs,
    metrics: createEventMetrics(metrics.meter('seams.events')),
    logger,
    topology: eventTopology,
    natsUrl: config.natsUrl,
    retentionMs: config.events.retentionMs,
  });
  delivery.bus = bus;
  app.addHook('onReady', () => bus.start());

  const eventAdmin = new EventAdmin((module) => platformDbs.get(placement.urlOf(module))!, subscriptions, eventTopology.relays.map((relay) => relay.producer));
  eventAdminRoutes(app, eventAdmin, { guard: adminOnly, wake: () => bus.wakeAll() });
  eventAdmin.observeLag(metrics.meter('seams.events'));
  const retention = setInterval(() => {
    eventAdmin.applyRetention(config.events.retentionMs).catch((error: unknown) => logger.warn({ err: error }, 'event retention failed'));
  }, RETENTION_INTERVAL_MS);
  retention.unref();
  app.addHook('onClose', async () => clearInterval(retention));

  metricsRoute(app, metrics, adminOnly);
  healthRoutes(
    app,
    Object.fromEntries([...databases].map(([module, db]) => [`database:${module}`, () => pingDatabase(db)])),
  );

  for (const module of local) {
    const routes = module.routes;
    if (!routes) continue;
    await app.register(async (scope) => {
      // Every line logged while a module's route handles a request names the module.
      scope.addHook('onRequest', async (request, reply) => {
        request.log = request.log.child({ module: module.name });
        reply.log = request.log;
      });
      await routes(scope, viewOf(module.name) as never);
    });
  }

  return app;
}
