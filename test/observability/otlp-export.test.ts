import { afterAll, beforeAll, expect, it } from 'vitest';
import { testDatabaseUrl } from '../support/test-app.ts';
import { killLeftovers, startSeams, TEST_JWT_SECRET } from '../process/seams-process.ts';
import { otlpAttribute, startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.ts';
import { waitFor } from '../support/wait-for.ts';

let receiver: OtlpReceiver;
let endpoint: string;
let received: OtlpReceiver['received'];

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  endpoint = receiver.endpoint;
  received = receiver.received;
});
afterAll(async () => {
  await killLeftovers();
  await receiver.close();
});

const attribute = otlpAttribute;

it('exports traces and metrics over OTLP/HTTP with the service name and resource attributes', async () => {
  const seams = await startSeams({
    DATABASE_URL: testDatabaseUrl(),
    JWT_SECRET: TEST_JWT_SECRET,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_SERVICE_NAME: 'seams-otlp-test',
  });
  const response = await fetch(`${seams.url}/catalog/products?limit=1`);
  expect(response.status).toBe(200);
  seams.child.kill('SIGTERM');
  expect((await seams.exited).code).toBe(0);

  // Spans are batched and flushed on shutdown; metrics are pushed when the app closes.
  const resources = received.traces.flatMap((batch) => batch.resourceSpans);
  expect(resources.length).toBeGreaterThan(0);
  for (const resource of resources) {
    expect(attribute(resource.resource.attributes, 'service.name')).toBe('seams-otlp-test');
    expect(attribute(resource.resource.attributes, 'telemetry.sdk.language')).toBe('nodejs');
  }
  const spans = resources.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans));
  const request = spans.find((span) => span.name.startsWith('GET'));
  expect(request, `a GET span among ${spans.map((span) => span.name).join(', ')}`).toBeDefined();
  expect(spans.filter((span) => span.traceId === request!.traceId).length).toBeGreaterThan(1);

  const metricResources = received.metrics.flatMap((batch) => batch.resourceMetrics);
  expect(metricResources.length).toBeGreaterThan(0);
  expect(attribute(metricResources[0]!.resource.attributes, 'service.name')).toBe('seams-otlp-test');
  const names = metricResources.flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics.map((metric) => metric.name)));
  expect(names).toContain('seams_http_request_duration_seconds');
}, 180_000);

it('works with OTEL_SDK_DISABLED=true: requests are served, and logs simply carry no trace ids', async () => {
  const seams = await startSeams({ DATABASE_URL: testDatabaseUrl(), JWT_SECRET: TEST_JWT_SECRET, OTEL_SDK_DISABLED: 'true' });
  const response = await fetch(`${seams.url}/catalog/products?limit=1`);
  expect(response.status).toBe(200);
  await seams.waitForLine((line) => line.msg === 'request completed');
  expect(seams.lines.some((line) => 'trace_id' in line)).toBe(false);
  seams.child.kill('SIGTERM');
  expect((await seams.exited).code).toBe(0);
}, 180_000);

it('writes trace_id and span_id on request log lines when the SDK runs', async () => {
  const seams = await startSeams({ DATABASE_URL: testDatabaseUrl(), JWT_SECRET: TEST_JWT_SECRET });
  await fetch(`${seams.url}/catalog/products?limit=1`);
  const completed = await seams.waitForLine((line) => line.msg === 'request completed');
  expect(completed).toMatchObject({ trace_id: expect.stringMatching(/^[0-9a-f]{32}$/), span_id: expect.stringMatching(/^[0-9a-f]{16}$/), module: 'catalog' });
  seams.child.kill('SIGTERM');
  expect((await seams.exited).code).toBe(0);
}, 180_000);

it('honours OTEL_BSP_SCHEDULE_DELAY: spans leave within that delay, not the SDK default of 5 s', async () => {
  const seams = await startSeams({
    DATABASE_URL: testDatabaseUrl(),
    JWT_SECRET: TEST_JWT_SECRET,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_SERVICE_NAME: 'seams-bsp-test',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  const ours = () => receiver.spans().filter((span) => span.service === 'seams-bsp-test' && span.name.startsWith('GET'));
  expect((await fetch(`${seams.url}/catalog/products?limit=1`)).status).toBe(200);
  const sent = Date.now();
  // While the process runs (no shutdown flush): with the delay ignored, the span would wait 5 s.
  await waitFor(() => ours().length > 0, { timeoutMs: 3500, intervalMs: 20, message: 'the request span exported within 3.5 s' });
  expect(Date.now() - sent).toBeLessThan(3500);
  seams.child.kill('SIGTERM');
  expect((await seams.exited).code).toBe(0);
}, 180_000);

it('honours OTEL_TRACES_SAMPLER: always_off records and exports no spans', async () => {
  const seams = await startSeams({
    DATABASE_URL: testDatabaseUrl(),
    JWT_SECRET: TEST_JWT_SECRET,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_SERVICE_NAME: 'seams-sampler-test',
    OTEL_TRACES_SAMPLER: 'always_off',
  });
  expect((await fetch(`${seams.url}/catalog/products?limit=1`)).status).toBe(200);
  seams.child.kill('SIGTERM');
  expect((await seams.exited).code).toBe(0);
  // Shut down, so everything recorded was flushed; the metrics still went out.
  expect(receiver.spans().filter((span) => span.service === 'seams-sampler-test')).toEqual([]);
  expect(received.metrics.some((batch) => batch.resourceMetrics.some((resource) => attribute(resource.resource.attributes, 'service.name') === 'seams-sampler-test'))).toBe(true);
}, 180_000);

it('honours OTEL_TRACES_SAMPLER_ARG: parentbased_traceidratio at 0 traces only what a sampled caller sends, its SQL included', async () => {
  const seams = await startSeams({
    DATABASE_URL: testDatabaseUrl(),
    JWT_SECRET: TEST_JWT_SECRET,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_SERVICE_NAME: 'seams-ratio-test',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0',
  });
  for (let i = 0; i < 5; i++) expect((await fetch(`${seams.url}/catalog/products?limit=1`)).status).toBe(200);
  const traceId = '7ef92f3577b34da6a3ce929d0e0e4739';
  expect((await fetch(`${seams.url}/catalog/products?limit=1`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902ba-01` } })).status).toBe(200);
  seams.child.kill('SIGTERM');
  expect((await seams.exited).code).toBe(0);
  const ours = receiver.spans().filter((span) => span.service === 'seams-ratio-test');
  // Ratio 0: none of the five root requests; the sampled caller's request and its statements, in the caller's trace.
  expect(new Set(ours.map((span) => span.traceId))).toEqual(new Set([traceId]));
  expect(ours.map((span) => span.name)).toContain('GET /catalog/products');
  expect(ours.some((span) => attribute(span.attributes, 'db.system.name') === 'postgresql')).toBe(true);
}, 180_000);
