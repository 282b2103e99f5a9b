import type { Meter } from '@opentelemetry/api';

/** The event bus's instruments, per producing module and per subscription. Served on /metrics and over OTLP. */
export interface EventMetrics {
  readonly published: { add(value: number, attributes: { module: string }): void };
  /** Events the NATS relay got into the producer's stream (acknowledged), per producing module. */
  readonly relayed: { add(value: number, attributes: { module: string }): void };
  /** Events a NATS receiver stored in `seams_received`, per subscription. */
  readonly received: { add(value: number, attributes: { module: string; subscription: string }): void };
  readonly delivered: { add(value: number, attributes: { module: string; subscription: string }): void };
  readonly failed: { add(value: number, attributes: { module: string; subscription: string }): void };
  readonly deadLettered: { add(value: number, attributes: { module: string; subscription: string }): void };
  /** Seconds spent in a subscription's handler per event. */
  readonly handlerDuration: { record(seconds: number, attributes: { module: string; subscription: string }): void };
}

export function createEventMetrics(meter: Meter): EventMetrics {
  return {
    published: meter.createCounter('seams_events_published', { description: 'Events committed to an outbox, per producing module.' }),
    relayed: meter.createCounter('seams_events_relayed', { description: "Events the NATS relay got into the producer's stream, per producing module." }),
    received: meter.createCounter('seams_events_received', { description: 'Events received over NATS and stored for a subscription.' }),
    delivered: meter.createCounter('seams_events_delivered', { description: 'Events handled successfully, per subscription.' }),
    failed: meter.createCounter('seams_events_failed', { description: 'Handler attempts that threw, per subscription.' }),
    deadLettered: meter.createCounter('seams_events_dead_lettered', { description: 'Deliveries that ran out of attempts, per subscription.' }),
    handlerDuration: meter.createHistogram('seams_events_handler_duration_seconds', {
      description: "Time spent in a subscription's handler per event.",
      advice: { explicitBucketBoundaries: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] },
    }),
  };
}
