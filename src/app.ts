import path from 'node:path';
import type { Kysely } from 'kysely';
import { fileURLToPath } from 'node:url';
import { systemClock, type Clock } from '#platform/clock.ts';
import { ConfigError, type Config } from '#platform/config.ts';
import type { Logger } from '#platform/logger.ts';
import { placeModules } from '#platform/db/database-placement.ts';
import { migrationsFolder, type MigrationSource } from '#platform/db/migrate.ts';
import type { EventBus } from '#platform/events/event-bus.ts';
import { planEventTopology } from '#platform/events/event-topology.ts';
import { createHttpServer } from '#platform/http/http-server.ts';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import type { AnyModule } from '#platform/modules/define-module.ts';
import { serveContracts } from '#platform/modules/contract-server.ts';
import { handlerName, key } from '#platform/modules/module-container.ts';
import type { EventHandler } from '#platform/events/subscription.ts';
import { resolveTopology } from '#platform/modules/topology.ts';
import { createAppMetrics } from '#platform/telemetry/app-metrics.ts';
import { installedTraceBuffer, type TraceSource } from '#platform/telemetry/trace-buffer.ts';
import { RouteOwners } from '#platform/console/route-owners.ts';
import type { SignInCode } from '#platform/console/sign-in-code.ts';
import { operationsRoutes } from './app/admin.ts';
import { consoleStep } from './app/console.ts';
import { wireModules } from './app/container.ts';
import { openDatabases } from './app/databases.ts';
import { startEventDelivery } from './app/events.ts';
import { moduleRoutes } from './app/routes.ts';

/** The project's own `migrations/` folder, when running from source. */
const sourceMigrations = () => migrationsFolder(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'migrations'));

export interface AppOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Every module of the system (src/modules.ts); `config.modules` says which of them run here. */
  readonly modules: readonly AnyModule[];
  /** A connection string for a user that may create roles and schemas in the target database. */
  readonly databaseUrl: string;
  /** Where `<module>/` migration folders live; defaults to the project's `migrations/`. */
  readonly migrationsDir?: string;
  /** Where migrations come from instead of `migrationsDir`: the single binary passes the ones bundled into it. */
  readonly migrations?: MigrationSource;
  /** Folders of static files by name (`swagger-ui`, `console`), for a program that carries its own (the single binary). */
  readonly assetDirectories?: Readonly<Record<string, string>>;
  /** The one-time code of the console link printed at start-up (embedded development database only). */
  readonly consoleSignInCode?: SignInCode;
  /** Where the console reads traces; defaults to the trace buffer the SDK was started with, if any. */
  readonly traces?: TraceSource;
  /** What every module's `clock` reads and what decides when events due later are due; tests pass a test clock. */
  readonly clock?: Clock;
}

/** What the test harness (src/platform/testing) reaches in a built app besides its HTTP surface. */
export interface AppParts {
  readonly bus: EventBus;
  readonly clock: Clock;
  /** The modules running here. */
  readonly local: readonly AnyModule[];
  /** A local module's view of the container: its registrations, platform services and declared APIs. */
  readonly viewOf: (module: string) => Record<string, unknown>;
  /** The platform's connection to the database a local module lives in (reads every module's event tables). */
  readonly platformDbOf: (module: string) => Kysely<unknown>;
  /** The handler a local module's subscription runs, as the bus gets it. */
  readonly handlerOf: (module: string, subscription: string) => EventHandler;
}

const partsOfApp = new WeakMap<ModuleRouter, AppParts>();

/** The parts of an app built by {@link buildApp}, for the test harness. */
export function appParts(app: ModuleRouter): AppParts {
  const parts = partsOfApp.get(app);
  if (!parts) throw new Error('appParts: this app was not built by buildApp');
  return parts;
}

/**
 * Builds the app from a config and a module list, in six steps: the databases (each local module's schema and role,
 * migrated under that role), the container, event delivery, the operations routes, the modules' routes and the
 * console. Tests
 * call this; only `main.ts` touches the process.
 */
export async function buildApp(options: AppOptions): Promise<ModuleRouter> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  if (!config.jwtSecret && !config.jwt.jwksUrl) throw new ConfigError(['JWT_SECRET is not set (nor JWT_JWKS_URL): expected a string of at least 32 characters']);
  const { topology, placement, sharesLog } = placeLocalModules(options);
  const local = topology.local;
  // Which events cross processes (over NATS); fails here, before any database work, if they do and NATS_URL is unset.
  const eventTopology = planEventTopology({ modules: options.modules, local: config.modules, natsUrl: config.natsUrl, sharesLog });
  const metrics = createAppMetrics({ serviceName: config.otel.serviceName, otlpEndpoint: config.otel.endpoint });

  // Bound once the bus exists; commits that publish before then are found by the bus's first pass.
  const delivery: { bus?: EventBus } = {};
  const databases = await openDatabases({ placement, config, logger, migrations: migrationSourceOf(options), readsOutbox: sharesLog, delivery });

  const app = await createHttpServer({
    logger,
    auth: { secret: config.jwtSecret, ...config.jwt },
    rateLimit: config.rateLimit,
    trustProxy: config.trustProxy,
    corsOrigins: config.http.corsOrigins,
    timeouts: config.http.timeouts,
    histograms: metrics.histograms, docsAssets: options.assetDirectories?.['swagger-ui'] });
  app.addHook('onClose', async () => {
    // Stop delivering before the pools the handlers write through go away.
    await delivery.bus?.stop();
    await databases.destroy();
    await metrics.shutdown();
  });

  const { container, viewOf, calls } = await wireModules(app, { topology, databases, config, logger, metrics, clock });
  await serveContracts(app, container, local, config.serviceToken);
  const bus = await startEventDelivery(app, { local, all: options.modules, databases, container, eventTopology, adminUrl: options.databaseUrl, config, logger, metrics, clock });
  delivery.bus = bus;
  partsOfApp.set(app, {
    bus,
    clock,
    local,
    viewOf,
    platformDbOf: (module) => databases.platform.get(databases.placement.urlOf(module))!,
    handlerOf: (module, subscription) => container.resolve<EventHandler>(key(module, handlerName(subscription))),
  });
  operationsRoutes(app, { local, databases, bus, eventTopology, config, logger, metrics });
  const routeOwners = new RouteOwners();
  await moduleRoutes(app, local, viewOf, container, routeOwners);
  await consoleStep(app, {
    all: options.modules,
    config,
    databases,
    calls,
    routeOwners,
    traces: options.traces ?? installedTraceBuffer(),
    signInCode: options.consoleSignInCode,
    assets: options.assetDirectories?.console,
  });
  return app;
}

/**
 * Only the first step of {@link buildApp}: each local module's schema and role, provisioned and migrated under that
 * role, for deploy pipelines that migrate before they start the new version (`seams migrate`). Serves nothing.
 */
export async function migrateApp(options: Omit<AppOptions, 'assetDirectories' | 'consoleSignInCode' | 'traces'>): Promise<void> {
  const { placement, sharesLog } = placeLocalModules(options);
  const databases = await openDatabases({ placement, config: options.config, logger: options.logger, migrations: migrationSourceOf(options), readsOutbox: sharesLog, delivery: {} });
  await databases.destroy();
}

/** Which modules run here, which database each lives in, and which outboxes a local subscriber reads directly. */
function placeLocalModules(options: Pick<AppOptions, 'config' | 'modules' | 'databaseUrl'>) {
  const { config } = options;
  const topology = resolveTopology(options.modules, config.modules, config.remoteModules);
  const placement = placeModules(topology.local, options.databaseUrl, config.moduleDatabaseUrls);
  const localNames = new Set(config.modules);
  // A subscriber reads its producer's outbox directly only when both run here, in the same database.
  const sharesLog = (producer: string, subscriber: string) => localNames.has(producer) && localNames.has(subscriber) && placement.sameDatabase(producer, subscriber);
  return { topology, placement, sharesLog };
}

function migrationSourceOf(options: Pick<AppOptions, 'migrations' | 'migrationsDir'>): MigrationSource {
  return options.migrations ?? (options.migrationsDir ? migrationsFolder(options.migrationsDir) : sourceMigrations());
}
