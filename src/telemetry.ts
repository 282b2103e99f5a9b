// Preloaded with `node --import ./src/telemetry.ts src/main.ts`, before any app module, so the OpenTelemetry
// instrumentations can patch fastify, pg and pino as they load. The loader hook must be registered first; the SDK is
// then loaded with a dynamic import so that it is itself loaded after the hook.
import { register } from 'node:module';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

// The standard OTEL_* variables are read here because this runs before the app's config exists; they are still
// documented and validated in the config schema (src/platform/config.ts).
if (process.env.OTEL_SDK_DISABLED !== 'true') {
  const { startTelemetry } = await import('./platform/telemetry/sdk.ts');
  const sdk = startTelemetry({ serviceName: process.env.OTEL_SERVICE_NAME || 'seams', otlpEndpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined });
  // Flushes spans still in the batch when the process ends normally.
  process.once('beforeExit', () => void sdk.shutdown());
  globalThis.__seamsTelemetry = sdk;
}

declare global {
  var __seamsTelemetry: { shutdown(): Promise<void> } | undefined;
}
