import type { Meter } from '@opentelemetry/api';

/** Business outcomes of ordering, as counters on /metrics. Called only after the outcome has committed. */
export interface OrderMetrics {
  placed(): void;
  confirmed(totalCents: number, currency: string): void;
  cancelled(reason: string): void;
}

export function makeOrderMetrics({ metrics }: { metrics: Meter }): OrderMetrics {
  const placed = metrics.createCounter('seams_orders_placed', { description: 'Orders accepted by POST /orders.' });
  const confirmed = metrics.createCounter('seams_orders_confirmed', { description: 'Orders that ended confirmed.' });
  const cancelled = metrics.createCounter('seams_orders_cancelled', { description: 'Orders that ended cancelled, by reason.' });
  const revenue = metrics.createCounter('seams_revenue_cents', { description: 'Total of confirmed orders in minor units, by currency.' });
  return {
    placed: () => placed.add(1),
    confirmed: (totalCents, currency) => {
      confirmed.add(1);
      revenue.add(totalCents, { currency });
    },
    cancelled: (reason) => cancelled.add(1, { reason }),
  };
}
