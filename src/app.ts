import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { fastifyAwilixPlugin } from '@fastify/awilix';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { asValue } from 'awilix';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Config } from '#platform/config.ts';
import type { Logger } from '#platform/logger.ts';
import { createModuleDatabase } from '#platform/db/module-database.ts';
import { migrateModule } from '#platform/db/migrate.ts';
import { grantOutboxReads, provisionModules } from '#platform/db/provision.ts';
import { schemaName } from '#platform/db/database-names.ts';
import { Registry } from 'prom-client';
import type { EventBus } from '#platform/events/event-bus.ts';
import { producerOf } from '#platform/events/event-definition.ts';
import { createEventMetrics } from '#platform/events/event-metrics.ts';
import { migrateEventTables } from '#platform/events/event-tables.ts';
import { createEventBus, listSubscriptions } from '#platform/events/event-wiring.ts';
import { EventAdmin } from '#platform/events/event-admin.ts';
import { eventAdminRoutes } from '#platform/events/admin-routes.ts';
import { adminOnly, installAuth } from '#platform/http/auth.ts';
import { ConfigError } from '#platform/config.ts';
import { createPublisher } from '#platform/events/publisher.ts';
import type { EventHandler } from '#platform/events/subscription.ts';
import { installErrorHandling } from '#platform/http/error-handler.ts';
import { healthRoutes } from '#platform/http/health.ts';
import { validatorCompiler } from '#platform/http/validator-compiler.ts';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import type { AnyModule } from '#platform/modules/define-module.ts';
import { createAppContainer, handlerName, key, registerModules, resolveAll } from '#platform/modules/module-container.ts';
import { assertNoSyncCycle, validateModules } from '#platform/modules/module-registry.ts';

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
 * that role, wires the container and registers routes. Tests call this; only `main.ts` touches the process.
 */
export async function buildApp(options: AppOptions): Promise<ModuleRouter> {
  const { config, logger } = options;
  if (!config.jwtSecret) throw new ConfigError(['JWT_SECRET is not set: expected a string of at least 32 characters']);
  validateModules(options.modules, config.modules);
  const local = options.modules.filter((module) => config.modules.includes(module.name));
  const migrationsDir = options.migrationsDir ?? path.join(projectRoot, 'migrations');

  const registry = new Registry();
  const eventMetrics = createEventMetrics(registry);
  // Bound once the bus exists; commits that publish before then are found by the bus's first pass.
  const delivery: { bus?: EventBus } = {};

  const provisioned = await provisionModules(options.databaseUrl, local.map((module) => module.name), logger);
  const databases = new Map<string, Kysely<unknown>>();
  for (const { module, role, schema } of provisioned) {
    const db = createModuleDatabase<unknown>({
      url: options.databaseUrl,
      role,
      schema,
      poolMax: config.dbPoolMax,
      onPublishCommitted: (events) => delivery.bus?.published(module, events),
    });
    databases.set(module, db);
    await migrateEventTables(db, schema);
    await migrateModule(db, { module, schema, folder: path.join(migrationsDir, module), logger });
  }
  const roleOf = new Map(provisioned.map(({ module, role }) => [module, role]));
  await grantOutboxReads(
    options.databaseUrl,
    local.flatMap((module) =>
      (module.subscriptions ?? []).map((subscription) => ({ subscriberRole: roleOf.get(module.name)!, producerSchema: schemaName(producerOf(subscription.event)) })),
    ),
  );

  const app = fastify({
    loggerInstance: logger as FastifyBaseLogger,
    genReqId: () => randomUUID(),
    requestIdHeader: 'x-request-id',
    // Probes hit health every few seconds; their lines would drown the ones that matter.
    logController: new LogController({ requestIdLogLabel: 'reqId', disableRequestLogging: (request) => request.url.startsWith('/health/') }),
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
  })
    .setValidatorCompiler(validatorCompiler)
    .withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onClose', async () => {
    // Stop delivering before the pools the handlers write through go away.
    await delivery.bus?.stop();
    await Promise.all([...databases.values()].map((db) => db.destroy()));
  });
  installErrorHandling(app);
  await installAuth(app, config.jwtSecret);
  // The API speaks JSON only; a text body is answered with 415 rather than failing schema validation as a string.
  app.removeContentTypeParser('text/plain');

  const container = createAppContainer();
  await app.register(fastifyAwilixPlugin, { container, disposeOnClose: true, disposeOnResponse: false, asyncInit: false, eagerInject: false });
  const { viewOf, calls } = registerModules(container, local, (module) => ({
    db: databases.get(module.name),
    logger: logger.child({ module: module.name }),
    config,
    events: createPublisher(module.name, () => undefined),
  }));
  resolveAll(container, local);
  assertNoSyncCycle(calls);
  container.register('metricsRegistry', asValue(registry));

  const bus = await createEventBus({
    modules: local,
    databaseOf: (module) => databases.get(module)!,
    handlerOf: (module, subscription) => container.resolve<EventHandler>(key(module, handlerName(subscription))),
    adminUrl: options.databaseUrl,
    retry: { maxAttempts: config.events.maxAttempts, baseDelayMs: config.events.retryBaseMs, maxDelayMs: config.events.retryMaxMs },
    batchSize: config.events.batchSize,
    pollIntervalMs: config.events.pollIntervalMs,
    metrics: eventMetrics,
    logger,
  });
  delivery.bus = bus;
  app.addHook('onReady', () => bus.start());

  // The platform's own connection, for work across modules' event tables (lag, dead letters, retention).
  const platformDb = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: options.databaseUrl, max: 2, application_name: 'seams:platform' }) }),
  });
  const eventAdmin = new EventAdmin(platformDb, listSubscriptions(local));
  eventAdminRoutes(app, eventAdmin, { guard: adminOnly, wake: () => bus.wakeAll() });
  const retention = setInterval(() => {
    eventAdmin.applyRetention(config.events.retentionMs).catch((error: unknown) => logger.warn({ err: error }, 'event retention failed'));
  }, RETENTION_INTERVAL_MS);
  retention.unref();
  app.addHook('onClose', async () => {
    clearInterval(retention);
    await platformDb.destroy();
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Seams', version: '0.1.0', description: 'The Seams reference shop API.' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  healthRoutes(
    app,
    Object.fromEntries([...databases].map(([module, db]) => [`database:${module}`, async () => void (await sql`select 1`.execute(db))])),
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
