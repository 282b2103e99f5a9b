// Preloaded with `node --import ./src/telemetry.ts src/main.ts`, before any app module, so the http instrumentation
// can patch node:http as it loads. The loader hook must be registered first; the SDK is then loaded with a dynamic
// import so that it is itself loaded after the hook. (The single binary, a bundle that nothing can patch, starts the
// same SDK from src/binary.ts.)
import { register } from 'node:module';

// With the SDK off nothing patches anything, and the hook would only slow the start: it sends every module the app
// loads through a worker thread (a seventh of a start's CPU in a profile). SQL spans need no hook (sql-spans.ts).
if (process.env.OTEL_SDK_DISABLED !== 'true') register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const { startTelemetryFromEnv } = await import('./platform/telemetry/start-from-env.ts');
await startTelemetryFromEnv(process.env);
