import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Meter } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics';
import { AggregatedHistograms } from './aggregated-histograms.ts';

/**
 * The app's metrics: one OpenTelemetry meter provider per app (tests build several apps in one process), read in two
 * ways: pulled as Prometheus text on `/metrics`, and pushed over OTLP/HTTP when an endpoint is configured. It does not
 * depend on the global SDK, so metrics keep working with OTEL_SDK_DISABLED=true.
 */
export interface AppMetrics {
  /** A meter for a module or a platform part; instrument names are prefixed `seams_`. */
  meter(scope: string): Meter;
  /** Histograms recorded on every request, aggregated outside the SDK and read with the meters' instruments. */
  readonly histograms: AggregatedHistograms;
  /** The current values in the Prometheus text format. */
  scrape(): Promise<string>;
  shutdown(): Promise<void>;
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function createAppMetrics(options: { serviceName: string; otlpEndpoint: string | undefined; exportIntervalMs?: number }): AppMetrics {
  const histograms = new AggregatedHistograms();
  const prometheus = new PrometheusExporter({ preventServerStart: true, metricProducers: [histograms] });
  const readers: MetricReader[] = [prometheus];
  if (options.otlpEndpoint) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${options.otlpEndpoint.replace(/\/$/, '')}/v1/metrics` }),
        exportIntervalMillis: options.exportIntervalMs ?? 15_000,
        metricProducers: [histograms],
      }),
    );
  }
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': options.serviceName }), readers });
  const serializer = new PrometheusSerializer(undefined, false, undefined, true, true);
  const stopRuntime = observeRuntime(provider.getMeter('seams.runtime'));
  return {
    meter: (scope) => provider.getMeter(scope),
    histograms,
    async scrape() {
      const { resourceMetrics } = await prometheus.collect();
      return serializer.serialize(resourceMetrics);
    },
    async shutdown() {
      stopRuntime();
      await provider.shutdown();
    },
  };
}

/** Event-loop delay and heap, sampled when read. */
function observeRuntime(meter: Meter): () => void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const loop = meter.createObservableGauge('seams_runtime_event_loop_delay_seconds', { description: 'Event-loop delay since the last read: p50, p99 and max.' });
  const heap = meter.createObservableGauge('seams_runtime_heap_used_bytes', { description: 'V8 heap in use.' });
  meter.addBatchObservableCallback(
    (result) => {
      result.observe(loop, delay.percentile(50) / 1e9, { quantile: '0.5' });
      result.observe(loop, delay.percentile(99) / 1e9, { quantile: '0.99' });
      result.observe(loop, delay.max / 1e9, { quantile: '1' });
      result.observe(heap, process.memoryUsage().heapUsed);
      delay.reset();
    },
    [loop, heap],
  );
  return () => delay.disable();
}
