// Preloaded with `node --import ./src/telemetry.ts src/main.ts`, before any app module, so the http instrumentation
// can patch node:http as it loads. The loader hook must be registered first; the SDK is then loaded with a dynamic
// import so that it is itself loaded after the hook. (The single binary, a bundle that nothing can patch, starts the
// same SDK from src/binary.ts.)
import { register } from 'node:module';
import { register as registerInThread, supportsSyncHooks } from 'import-in-the-middle/register-hooks.mjs';

// Only node:http and node:https need the ESM hook (fastify's server spans come through its diagnostics channel, SQL
// spans are made at the pool: sql-spans.ts). In-thread and limited to those two: the default loader runs on a
// worker thread of its own, with a second V8 heap and type stripper, about 60 MB of RSS, and every module the app
// loads went through it. With the SDK off nothing patches anything, so no hook at all.
const INSTRUMENTED = ['http', 'https', 'node:http', 'node:https'];
if (process.env.OTEL_SDK_DISABLED !== 'true') {
  if (supportsSyncHooks()) registerInThread({ include: INSTRUMENTED });
  else register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: INSTRUMENTED } });
}

const { startTelemetryFromEnv } = await import('./platform/telemetry/start-from-env.ts');
await startTelemetryFromEnv(process.env);
