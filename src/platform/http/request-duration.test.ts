import fastify from 'fastify';
import { AggregationTemporality, MeterProvider, MetricReader, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { expect, it } from 'vitest';
import type { ModuleRouter } from './module-router.ts';
import { recordRequestDurations } from './request-duration.ts';

class Reader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

it('counts each answer by method, route template and status, errors and unmatched paths included', async () => {
  const reader = new Reader();
  const provider = new MeterProvider({ readers: [reader] });
  const app = fastify() as unknown as ModuleRouter;
  recordRequestDurations(app, provider.getMeter('test'));
  app.get('/things/:id', async (request) => {
    if ((request.params as { id: string }).id === 'missing') throw Object.assign(new Error('no'), { statusCode: 404 });
    return { ok: true };
  });
  app.route({ method: ['GET', 'POST'], url: '/both', handler: async () => ({ ok: true }) });
  for (const url of ['/things/1', '/things/2', '/things/missing', '/nowhere', '/both']) await app.inject({ method: 'GET', url });
  await app.inject({ method: 'POST', url: '/both' });

  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics[0]!.metrics.find((m) => m.descriptor.name === 'seams_http_request_duration_seconds') as HistogramMetricData;
  const counts = Object.fromEntries(metric.dataPoints.map((point) => [`${String(point.attributes.method)} ${String(point.attributes.route)} ${String(point.attributes.status)}`, point.value.count]));
  expect(counts).toEqual({
    'GET /things/:id 200': 2,
    'GET /things/:id 404': 1,
    'GET unmatched 404': 1,
    'GET /both 200': 1,
    'POST /both 200': 1,
  });
  await app.close();
  await provider.shutdown();
});
