import { Counter, Histogram, type Registry } from 'prom-client';

/** The event bus's counters, per event and per subscription. Served on /metrics. */
export interface EventMetrics {
  readonly published: Counter<'module'>;
  readonly delivered: Counter<'subscription'>;
  readonly failed: Counter<'subscription'>;
  readonly deadLettered: Counter<'subscription'>;
  readonly handlerDuration: Histogram<'subscription'>;
}

export function createEventMetrics(registry: Registry): EventMetrics {
  const registers = [registry];
  return {
    published: new Counter({ name: 'seams_events_published_total', help: 'Events committed to an outbox, per producing module.', labelNames: ['module'], registers }),
    delivered: new Counter({ name: 'seams_events_delivered_total', help: 'Events handled successfully, per subscription.', labelNames: ['subscription'], registers }),
    failed: new Counter({ name: 'seams_events_failed_total', help: 'Handler attempts that threw, per subscription.', labelNames: ['subscription'], registers }),
    deadLettered: new Counter({ name: 'seams_events_dead_lettered_total', help: 'Deliveries that ran out of attempts, per subscription.', labelNames: ['subscription'], registers }),
    handlerDuration: new Histogram({
      name: 'seams_events_handler_duration_seconds',
      help: 'Time spent in a subscription\'s handler per event.',
      labelNames: ['subscription'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
  };
}
