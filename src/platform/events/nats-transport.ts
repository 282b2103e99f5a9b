import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DatabaseAvailability } from '../db/database-availability.ts';
import { receivedLog, type BatchRunner, type EventBus, type EventTransport } from './event-bus.ts';
import type { EventTopology } from './event-topology.ts';
import { NatsLink } from './nats-connection.ts';
import { NatsLeases } from './nats-leases.ts';
import { NatsReceiver } from './nats-receiver.ts';
import { NatsRelay } from './nats-relay.ts';
import type { EventMetrics } from './event-metrics.ts';

/** EVENTS_NATS_PARTITIONS' default, for callers that do not set it. */
export const DEFAULT_NATS_PARTITIONS = 4;

export interface NatsTransportOptions {
  readonly topology?: EventTopology;
  readonly natsUrl?: string | undefined;
  readonly databaseOf: (module: string) => Kysely<unknown>;
  /** A connection string for the session locks that say which instance pulls which consumer. */
  readonly adminUrl: string;
  readonly batchSize: number;
  /** EVENTS_NATS_PARTITIONS: subjects per event, by key; one receiver per partition and subscription. */
  readonly natsPartitions?: number;
  readonly pollIntervalMs: number;
  readonly metrics?: Pick<EventMetrics, 'relayed' | 'received'>;
  readonly retentionMs?: number;
  readonly logger: Logger;
  readonly availability?: DatabaseAvailability;
}

/**
 * The relays and receivers the topology asks for, on one NATS connection. Relays join the bus's runners (scheduled
 * like subscription workers, woken by the producer's commits); receivers run their own pull loops and wake the workers
 * that read `seams_received`. Returns undefined, and opens no connection, when no event crosses processes.
 */
export async function createNatsTransport(
  options: NatsTransportOptions,
  runners: Array<{ producer: string; worker: BatchRunner }>,
  bus: () => EventBus,
): Promise<EventTransport | undefined> {
  const topology = options.topology;
  if (!topology || (topology.relays.length === 0 && topology.receivers.length === 0)) return undefined;
  if (!options.natsUrl) throw new Error('Events cross processes but NATS_URL is not set (planEventTopology should have said so at start-up)');
  const logger = options.logger.child({ component: 'nats' });
  const retentionMs = options.retentionMs ?? 0;
  const partitions = options.natsPartitions ?? DEFAULT_NATS_PARTITIONS;
  const link = new NatsLink({ url: options.natsUrl, name: `seams@${hostname()}:${process.pid}`, logger });
  // A (re)connect is the moment events waiting in outboxes can go.
  link.onConnected(() => bus().wakeAll());

  const leases = new NatsLeases(options.adminUrl, logger, options.availability);
  for (const plan of topology.relays) {
    const relay = new NatsRelay({
      db: options.databaseOf(plan.producer),
      producer: plan.producer,
      events: plan.events,
      link,
      leases,
      batchSize: options.batchSize,
      partitions,
      retentionMs,
      onRelayed: (events) => options.metrics?.relayed.add(events, { module: plan.producer }),
      maxRetryMs: Math.max(options.pollIntervalMs, 1000),
      logger: logger.child({ producer: plan.producer }),
    });
    await relay.ensureCursor();
    runners.push({ producer: plan.producer, worker: relay });
  }

  const receivers = topology.receivers.flatMap((plan) =>
    Array.from(
      { length: partitions },
      (_, partition) =>
        new NatsReceiver({
          db: options.databaseOf(plan.module),
          module: plan.module,
          subscription: plan.subscription,
          producer: plan.producer,
          event: plan.event,
          partition,
          partitions,
          link,
          leases,
          retentionMs,
          batchSize: options.batchSize,
          onReceived: (events) => {
            options.metrics?.received.add(events, { module: plan.module, subscription: plan.subscription });
            bus().logChanged(receivedLog(plan.module));
          },
          logger: logger.child({ module: plan.module, subscription: plan.subscription, partition }),
        }),
    ),
  );

  return {
    start() {
      link.start();
      for (const receiver of receivers) receiver.start();
    },
    async stop() {
      await Promise.all(receivers.map((receiver) => receiver.stop()));
      await leases.close();
      await link.stop();
    },
  };
}
