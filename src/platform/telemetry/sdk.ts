import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { TraceBuffer } from './trace-buffer.ts';

export interface BatchSettings {
  readonly scheduledDelayMillis?: number;
  readonly maxQueueSize?: number;
  readonly maxExportBatchSize?: number;
  readonly exportTimeoutMillis?: number;
}

export interface TelemetryOptions {
  readonly serviceName: string;
  /** OTLP/HTTP base URL (e.g. http://127.0.0.1:4318); traces go to `<endpoint>/v1/traces`. Unset: spans stay local. */
  readonly otlpEndpoint: string | undefined;
  /** Traces the console keeps in memory (CONSOLE_TRACE_BUFFER); 0 keeps none. */
  readonly traceBufferSize?: number;
  /** The batch span processor's settings (from OTEL_BSP_*); the SDK's defaults where unset. */
  readonly batch?: BatchSettings;
  /** Extra processors, e.g. an in-memory exporter in tests. */
  readonly spanProcessors?: SpanProcessor[];
}

/**
 * Starts the OpenTelemetry Node SDK: server spans from fastify (@fastify/otel), client spans from node:http. SQL spans
 * are Seams' own, made at each pool (src/platform/telemetry/sql-spans.ts), not by @opentelemetry/instrumentation-pg.
 * Trace ids in log lines come from the logger's mixin (src/platform/telemetry/log-trace-context.ts).
 * Must run before the app's modules are imported (see src/telemetry.ts), so the instrumentations can patch them.
 * Spans are always created when the SDK runs, so log lines carry trace ids even with no exporter configured.
 */
export function startTelemetry(options: TelemetryOptions): NodeSDK {
  // The SDK registers no tracer provider without a processor; a no-op one keeps spans (and trace ids in logs) alive.
  const processors: SpanProcessor[] = [new NoopSpanProcessor(), ...(options.spanProcessors ?? [])];
  const buffer = options.traceBufferSize ? new TraceBuffer(options.traceBufferSize) : undefined;
  if (buffer) processors.push(buffer);
  globalThis.__seamsTraceBuffer = buffer;
  if (options.otlpEndpoint) {
    processors.push(new BatchSpanProcessor({ ...options.batch, exporter: new OTLPTraceExporter({ url: `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces` }) }));
  }
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    spanProcessors: processors,
    // Our metrics have their own provider per app (src/platform/telemetry/app-metrics.ts).
    metricReaders: [],
    // Logs stay on stdout; without this the SDK would also ship every pino line to an OTLP endpoint on localhost.
    logRecordProcessors: [],
    instrumentations: [
      // Outgoing node:http requests only (e.g. a provider's SDK). The server span of each request comes from
      // @fastify/otel below: with both, every request had two server spans, and the http one (which binds the
      // request and response emitters to the context) was about half of tracing's CPU cost on a read (docs/benchmarks-history.md,
      // "Tracing overhead"). @fastify/otel alone still reads an incoming `traceparent`.
      new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
      // The request's server span, named `<METHOD> <route>` as the HTTP conventions ask (the plugin calls every span
      // `request`), and no span per lifecycle hook or for the handler: those were 5 of a read's 9 spans, named after
      // the hook's source text, and about half of tracing's CPU cost per request (BENCHMARKS.md, "Tracing
      // overhead"). SQL and module-call spans hang under the request.
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        instrumentHooks: false,
        instrumentHandler: false,
        // The console's own polling would fill its trace buffer with traces of itself.
        ignorePaths: (route) => route.url.startsWith('/health/') || route.url.startsWith('/admin/console/') || route.url.startsWith('/console'),
        // request.routeOptions builds a new object at each read: read once.
        requestHook: (span, request) => {
          const route = request.routeOptions.url;
          span.updateName(route ? `${request.method} ${route}` : request.method);
        },
      }),
    ],
  });
  sdk.start();
  return sdk;
}
