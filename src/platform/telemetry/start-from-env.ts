/**
 * Starts the SDK unless OTEL_SDK_DISABLED=true, from the standard OTEL_* variables. They are read here because this
 * runs before the app's config exists; they are still documented and validated in the config schema
 * (src/platform/config.ts). The SDK is kept in `globalThis.__seamsTelemetry`, for the shutdown to flush it.
 */
export async function startTelemetryFromEnv(env: Record<string, string | undefined>): Promise<void> {
  if (env.OTEL_SDK_DISABLED === 'true') return;
  // Loaded only when used: the SDK and its instrumentations take a while to load.
  const { startTelemetry } = await import('./sdk.ts');
  const sdk = startTelemetry({ serviceName: env.OTEL_SERVICE_NAME || 'seams', otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined });
  // Flushes spans still in the batch when the process ends normally.
  process.once('beforeExit', () => void sdk.shutdown());
  globalThis.__seamsTelemetry = sdk;
}

declare global {
  var __seamsTelemetry: { shutdown(): Promise<void> } | undefined;
}
