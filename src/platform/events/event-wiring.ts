import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { schemaName } from '../db/database-names.ts';
import type { AnyModule } from '../modules/define-module.ts';
import { producerOf } from './event-definition.ts';
import { EventBus } from './event-bus.ts';
import type { EventMetrics } from './event-metrics.ts';
import type { RetryPolicy } from './retry-policy.ts';
import type { EventHandler } from './subscription.ts';
import { SubscriptionWorker } from './subscription-worker.ts';

/** One subscription of a local module, as the admin API and the lag queries see it. */
export interface SubscriptionInfo {
  readonly module: string;
  readonly schema: string;
  readonly subscription: string;
  readonly producer: string;
  readonly event: string;
  readonly version: number;
  readonly partitions: number;
}

export function listSubscriptions(modules: readonly AnyModule[]): SubscriptionInfo[] {
  return modules.flatMap((module) =>
    (module.subscriptions ?? []).map((subscription) => ({
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
  readonly modules: readonly AnyModule[];
  readonly databaseOf: (module: string) => Kysely<unknown>;
  readonly handlerOf: (module: string, subscription: string) => EventHandler;
  readonly adminUrl: string;
  readonly retry: RetryPolicy;
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  readonly metrics: EventMetrics;
  readonly logger: Logger;
}

/** Builds a worker for each partition of each local subscription, creates their cursors, and the bus that drives them. */
export async function createEventBus(options: EventWiringOptions): Promise<EventBus> {
  const workers = [];
  for (const info of listSubscriptions(options.modules)) {
    for (let partition = 0; partition < info.partitions; partition++) {
      const worker = new SubscriptionWorker({
        db: options.databaseOf(info.module),
        module: info.module,
        subscription: info.subscription,
        partition,
        partitions: info.partitions,
        producerSchema: schemaName(info.producer),
        eventName: info.event,
        eventVersion: info.version,
        handler: options.handlerOf(info.module, info.subscription),
        retry: options.retry,
        batchSize: options.batchSize,
        metrics: options.metrics,
        logger: options.logger.child({ module: info.module, subscription: info.subscription }),
      });
      await worker.ensureCursor(info.producer);
      workers.push({ producer: info.producer, worker });
    }
  }
  return new EventBus({ workers, adminUrl: options.adminUrl, pollIntervalMs: options.pollIntervalMs, metrics: options.metrics, logger: options.logger });
}
