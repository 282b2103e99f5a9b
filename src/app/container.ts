import type { AwilixContainer } from 'awilix';
import { moduleClock, type Clock } from '#platform/clock.ts';
import type { Config } from '#platform/config.ts';
import type { Logger } from '#platform/logger.ts';
import { createPublisher } from '#platform/events/publisher.ts';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import type { AnyModule } from '#platform/modules/define-module.ts';
import { createAppContainer, registerModules, resolveAll } from '#platform/modules/module-container.ts';
import { assertNoSyncCycle } from '#platform/modules/module-registry.ts';
import { createRemoteApis } from '#platform/modules/remote-client.ts';
import type { Topology } from '#platform/modules/topology.ts';
import type { AppMetrics } from '#platform/telemetry/app-metrics.ts';
import { currentTraceCarrier } from '#platform/telemetry/tracing.ts';
import type { AppDatabases } from './databases.ts';

export interface WiredModules {
  readonly container: AwilixContainer;
  /** What a module's factories and routes may see: its own registrations, platform services and declared APIs. */
  readonly viewOf: (module: string) => Record<string, unknown>;
  /** Module -> modules whose API it resolved at start-up. */
  readonly calls: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * The container step: one awilix container per app, every local module's factories and platform services in it, the
 * clients of remote modules where their APIs would be, and everything resolved once so a wiring mistake stops start-up.
 */
export async function wireModules(
  app: ModuleRouter,
  options: { topology: Topology; databases: AppDatabases; config: Config; logger: Logger; metrics: AppMetrics; clock: Clock },
): Promise<WiredModules> {
  const { topology, databases, config, logger, metrics, clock } = options;
  const container = createAppContainer();
  // The container is the app's, not a request's: no scope per request here. @fastify/awilix, which makes one in an
  // onRequest hook, is registered only around the routes of modules that ask for it (src/app/routes.ts); no shop
  // route does, and the scope cost a cheap read about 5 % (docs/benchmarks-history.md, finding 4).
  app.decorate('diContainer', container);
  app.addHook('onClose', () => container.dispose());
  const { viewOf, calls } = registerModules(container, topology.local, (module: AnyModule) => {
    const events = createPublisher(module.name, currentTraceCarrier);
    return {
      db: databases.ofModule.get(module.name),
      logger: logger.child({ module: module.name }),
      config,
      events,
      metrics: metrics.meter(`seams.${module.name}`),
      clock: moduleClock(clock, events),
    };
  }, createRemoteApis(topology.remote, { serviceToken: config.serviceToken, ...config.remote, logger }));
  resolveAll(container, topology.local);
  assertNoSyncCycle(calls);
  return { container, viewOf, calls };
}
