import type { BatchSettings } from './sdk.ts';

/**
 * Starts the SDK unless OTEL_SDK_DISABLED=true, from the standard OTEL_* variables. They are read here because this
 * runs before the app's config exists; they are still documented and validated in the config schema
 * (src/platform/config.ts). The SDK is kept in `globalThis.__seamsTelemetry`, for the shutdown to flush it.
 */
export async function startTelemetryFromEnv(env: Record<string, string | undefined>): Promise<void> {
  if (env.OTEL_SDK_DISABLED === 'true') return;
  // Loaded only when used: the SDK and its instrumentations take a while to load.
  const { startTelemetry } = await import('./sdk.ts');
  const sdk = startTelemetry({
    serviceName: env.OTEL_SERVICE_NAME || 'seams',
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
    traceBufferSize: traceBufferSizeOf(env.CONSOLE_TRACE_BUFFER),
    batch: batchSettings(env),
  });
  // Flushes spans still in the batch when the process ends normally.
  process.once('beforeExit', () => void sdk.shutdown());
  globalThis.__seamsTelemetry = sdk;
}

/**
 * The batch span processor's standard OTEL_BSP_* settings. The SDK reads them only for the processors it builds
 * itself, and Seams builds its own (sdk.ts), so without this they were ignored: spans waited 5 s whatever was set.
 * (The sampler's OTEL_TRACES_SAMPLER and _ARG the SDK does read.)
 */
export function batchSettings(env: Record<string, string | undefined>): BatchSettings {
  const number = (name: string) => {
    const raw = env[name]?.trim();
    const value = raw ? Number(raw) : NaN;
    return Number.isFinite(value) && value >= 0 ? value : undefined;
  };
  const settings = {
    scheduledDelayMillis: number('OTEL_BSP_SCHEDULE_DELAY'),
    maxQueueSize: number('OTEL_BSP_MAX_QUEUE_SIZE'),
    maxExportBatchSize: number('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
    exportTimeoutMillis: number('OTEL_BSP_EXPORT_TIMEOUT'),
  };
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
}

declare global {
  var __seamsTelemetry: { shutdown(): Promise<void> } | undefined;
}

/** CONSOLE_TRACE_BUFFER: traces kept for the console, 200 unless set; 0 keeps none. The config schema rejects the rest. */
export function traceBufferSizeOf(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_TRACE_BUFFER;
  const size = Number(value);
  return Number.isInteger(size) && size >= 0 ? size : DEFAULT_TRACE_BUFFER;
}

export const DEFAULT_TRACE_BUFFER = 200;
