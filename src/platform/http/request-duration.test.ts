import fastify from 'fastify';
import type { HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { expect, it } from 'vitest';
import { AggregatedHistograms } from '../telemetry/aggregated-histograms.ts';
import { createAppMetrics } from '../telemetry/app-metrics.ts';
import type { ModuleRouter } from './module-router.ts';
import { recordRequestDurations } from './request-duration.ts';

it('counts each answer by method, route template and status, errors and unmatched paths included', async () => {
  const histograms = new AggregatedHistograms();
  const app = fastify() as unknown as ModuleRouter;
  recordRequestDurations(app, histograms);
  app.get('/things/:id', async (request) => {
    if ((request.params as { id: string }).id === 'missing') throw Object.assign(new Error('no'), { statusCode: 404 });
    return { ok: true };
  });
  app.route({ method: ['GET', 'POST'], url: '/both', handler: async () => ({ ok: true }) });
  for (const url of ['/things/1', '/things/2', '/things/missing', '/nowhere', '/both']) await app.inject({ method: 'GET', url });
  await app.inject({ method: 'POST', url: '/both' });

  const { resourceMetrics } = await histograms.collect();
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
});

it('serves the histogram on /metrics as Prometheus buckets, sum and count, beside the meters\' instruments', async () => {
  const metrics = createAppMetrics({ serviceName: 'request-duration-test', otlpEndpoint: undefined });
  const app = fastify() as unknown as ModuleRouter;
  recordRequestDurations(app, metrics.histograms);
  app.get('/ping', async () => ({ ok: true }));
  await app.inject({ method: 'GET', url: '/ping' });
  await app.inject({ method: 'GET', url: '/ping' });

  const text = await metrics.scrape();
  expect(text).toContain('# TYPE seams_http_request_duration_seconds histogram');
  expect(text).toMatch(/seams_http_request_duration_seconds_count\{method="GET",route="\/ping",status="200"\} 2/);
  expect(text).toMatch(/seams_http_request_duration_seconds_bucket\{method="GET",route="\/ping",status="200",le="\+Inf"\} 2/);
  expect(text).toMatch(/seams_http_request_duration_seconds_bucket\{method="GET",route="\/ping",status="200",le="5"\} 2/);
  expect(text).toContain('seams_runtime_heap_used_bytes');
  await app.close();
  await metrics.shutdown();
});

it('puts each value in the first bucket whose bound it does not exceed, and keeps sum, min and max', async () => {
  const histograms = new AggregatedHistograms();
  const record = histograms.histogram('test', 'values', { description: 'd', boundaries: [1, 2] }).series({ a: 'x' });
  for (const value of [0.5, 1, 1.5, 2, 3]) record(value);
  const [point] = ((await histograms.collect()).resourceMetrics.scopeMetrics[0]!.metrics[0] as HistogramMetricData).dataPoints;
  expect(point!.value).toMatchObject({ buckets: { boundaries: [1, 2], counts: [2, 2, 1] }, count: 5, sum: 8, min: 0.5, max: 3 });
  expect(point!.attributes).toEqual({ a: 'x' });
});
