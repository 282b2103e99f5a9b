import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { DatabaseAvailability } from '../db/database-availability.ts';
import { schemaName } from '../db/database-names.ts';
import type { AnyModule } from '../modules/define-module.ts';
import { producerOf } from './event-definition.ts';
import { EventBus, receivedLog, type BatchRunner } from './event-bus.ts';
import type { EventTopology } from './event-topology.ts';
import type { EventMetrics } from './event-metrics.ts';
import type { RetryPolicy } from './retry-policy.ts';
import type { EventHandler } from './subscription.ts';
import { SubscriptionWorker } from './subscription-worker.ts';
import { eventVersions, payloadConverter } from './event-versions.ts';

/** One subscription of a local module, as the admin API and the lag queries see it. */
export interface SubscriptionInfo {
  readonly module: string;
  readonly schema: string;
  readonly subscription: string;
  readonly producer: string;
  readonly event: string;
  /** The version the subscription takes (events stored in other versions are converted on delivery). */
  readonly version: number;
  readonly partitions: number;
  /** Where it reads: its producer's outbox, or (producer in another process) its own `seams_received`. */
  readonly source: 'outbox' | 'received';
}

export function listSubscriptions(modules: readonly AnyModule[], topology?: Pick<EventTopology, 'receives'>): SubscriptionInfo[] {
  return modules.flatMap((module) =>
    (module.subscriptions ?? []).map((subscription) => ({
      source: topology?.receives(module.name, subscription.name) ? ('received' as const) : ('outbox' as const),
      module: module.name,
      schema: schemaName(module.name),
      subscription: subscription.name,
      producer: producerOf(subscription.event),
      event: subscription.event.name,
      version: subscription.event.version,
      partitions: subscription.partitions,
    })),
  );
}

export interface EventWiringOptions {
  /** The modules this process runs. */
  readonly modules: readonly AnyModule[];
  /** Every module of the system, local or not: the producers' contracts say which versions of an event exist. */
  readonly system?: readonly AnyModule[];
  readonly databaseOf: (module: string) => Kysely<unknown>;
  readonly handlerOf: (module: string, subscription: string) => EventHandler;
  readonly adminUrl: string;
  readonly retry: RetryPolicy;
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  readonly metrics: EventMetrics;
  readonly logger: Logger;
  /** Which events cross processes (planEventTopology); none when absent. */
  readonly topology?: EventTopology;
  /** NATS_URL; used only when the topology has relays or receivers. */
  readonly natsUrl?: string | undefined;
  /** EVENTS_NATS_PARTITIONS. */
  readonly natsPartitions?: number;
  /** How long streams keep events (EVENTS_RETENTION_HOURS). */
  readonly retentionMs?: number;
  /** Told of database outages, which it logs once each; its recoveries wake every worker. */
  readonly availability?: DatabaseAvailability;
  /** Decides when events published with a due time are due (the system clock unless a test's). */
  readonly clock?: Clock;
}

/** Builds a worker for each partition of each local subscription, creates their cursors, and the bus that drives them. */
export async function createEventBus(options: EventWiringOptions): Promise<EventBus> {
  const workers: Array<{ producer: string; worker: BatchRunner }> = [];
  const versions = eventVersions(options.system ?? options.modules);
  const subscriptions = options.modules.flatMap((module) => (module.subscriptions ?? []).map((subscription) => ({ module: module.name, subscription })));
  for (const info of listSubscriptions(options.modules, options.topology)) {
    const { event } = subscriptions.find((s) => s.module === info.module && s.subscription.name === info.subscription)!.subscription;
    const convert = payloadConverter(event, versions.get(event.name));
    for (let partition = 0; partition < info.partitions; partition++) {
      const worker = new SubscriptionWorker({
        db: options.databaseOf(info.module),
        module: info.module,
        subscription: info.subscription,
        partition,
        partitions: info.partitions,
        producerSchema: schemaName(info.producer),
        source: info.source,
        eventName: info.event,
        eventVersion: info.version,
        convert,
        handler: options.handlerOf(info.module, info.subscription),
        retry: options.retry,
        batchSize: options.batchSize,
        metrics: options.metrics,
        logger: options.logger.child({ module: info.module, subscription: info.subscription }),
        ...(options.clock ? { clock: options.clock } : {}),
      });
      await worker.ensureCursor(info.producer);
      workers.push({ producer: info.source === 'received' ? receivedLog(info.module) : info.producer, worker });
    }
  }
  // The NATS client (about 40 files and their heap) is loaded only when some event crosses processes; a monolith's
  // events stay in-process and never need it.
  const crosses = options.topology && (options.topology.relays.length > 0 || options.topology.receivers.length > 0);
  const transport = crosses ? await (await import('./nats-transport.ts')).createNatsTransport(options, workers, () => bus) : undefined;
  const bus: EventBus = new EventBus({
    workers,
    adminUrl: options.adminUrl,
    pollIntervalMs: options.pollIntervalMs,
    metrics: options.metrics,
    logger: options.logger,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(transport ? { transport } : {}),
    ...(options.availability ? { availability: options.availability } : {}),
  });
  options.availability?.onRecovered(() => bus.wakeAll());
  return bus;
}
