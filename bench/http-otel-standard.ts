// Preloaded into the bare server (`node --import bench/http-otel-standard.ts bench/http-bare-server.ts`) by
// `npm run bench:http`: the standard OpenTelemetry setup a team would add to bare fastify + pg, the peer of Seams'
// tracing. NodeSDK with the http, pg and @fastify/otel instrumentations at their defaults, every span exported
// through the SDK's batch processor and the OTLP/HTTP JSON exporter (the one Seams uses) to
// OTEL_EXPORTER_OTLP_ENDPOINT, sampling from OTEL_TRACES_SAMPLER (the benchmark sets always_on). No metrics or logs
// export: the comparison is about traces.
import { register } from 'node:module';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const [{ NodeSDK }, { OTLPTraceExporter }, { HttpInstrumentation }, { PgInstrumentation }, { FastifyOtelInstrumentation }] = await Promise.all([
  import('@opentelemetry/sdk-node'),
  import('@opentelemetry/exporter-trace-otlp-http'),
  import('@opentelemetry/instrumentation-http'),
  import('@opentelemetry/instrumentation-pg'),
  import('@fastify/otel'),
]);

const sdk = new NodeSDK({
  serviceName: process.env.OTEL_SERVICE_NAME ?? 'bench-bare-otel',
  traceExporter: new OTLPTraceExporter(),
  metricReaders: [],
  logRecordProcessors: [],
  instrumentations: [new HttpInstrumentation(), new PgInstrumentation(), new FastifyOtelInstrumentation({ registerOnInitialization: true })],
});
sdk.start();
process.once('SIGTERM', () => void sdk.shutdown());
