import type { AwilixContainer } from 'awilix';
import type { Clock } from '#platform/clock.ts';
import type { Config } from '#platform/config.ts';
import type { Logger } from '#platform/logger.ts';
import type { EventBus } from '#platform/events/event-bus.ts';
import { createEventMetrics } from '#platform/events/event-metrics.ts';
import type { EventTopology } from '#platform/events/event-topology.ts';
import { createEventBus } from '#platform/events/event-wiring.ts';
import type { EventHandler } from '#platform/events/subscription.ts';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import type { AnyModule } from '#platform/modules/define-module.ts';
import { handlerName, key } from '#platform/modules/module-container.ts';
import type { AppMetrics } from '#platform/telemetry/app-metrics.ts';
import type { AppDatabases } from './databases.ts';

/**
 * The events step: a worker for every local subscription, the NATS relays and receivers for events that cross
 * processes, started when the app is ready and stopped before the pools its handlers write through close.
 */
export async function startEventDelivery(
  app: ModuleRouter,
  options: {
    local: readonly AnyModule[];
    /** Every module of the system: which versions of each event exist. */
    all: readonly AnyModule[];
    databases: AppDatabases;
    container: AwilixContainer;
    eventTopology: EventTopology;
    adminUrl: string;
    config: Config;
    logger: Logger;
    metrics: AppMetrics;
    clock: Clock;
  },
): Promise<EventBus> {
  const { config, databases, container } = options;
  const metrics = createEventMetrics(options.metrics.meter('seams.events'));
  const bus = await createEventBus({
    modules: options.local,
    system: options.all,
    databaseOf: (module) => databases.ofModule.get(module)!,
    handlerOf: (module, subscription) => container.resolve<EventHandler>(key(module, handlerName(subscription))),
    adminUrl: options.adminUrl,
    retry: { maxAttempts: config.events.maxAttempts, baseDelayMs: config.events.retryBaseMs, maxDelayMs: config.events.retryMaxMs },
    batchSize: config.events.batchSize,
    pollIntervalMs: config.events.pollIntervalMs,
    metrics,
    logger: options.logger,
    topology: options.eventTopology,
    natsUrl: config.natsUrl,
    natsPartitions: config.events.natsPartitions,
    retentionMs: config.events.retentionMs,
    availability: databases.availability,
    clock: options.clock,
  });
  app.addHook('onReady', () => bus.start());
  return bus;
}
