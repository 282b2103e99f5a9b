// Preloaded with `node --import ./src/telemetry.ts src/main.ts`, before any app module, so the OpenTelemetry
// instrumentations can patch pg and node:http as they load. The loader hook must be registered first; the SDK is
// then loaded with a dynamic import so that it is itself loaded after the hook. (The single binary, a bundle that
// nothing can patch, starts the same SDK from src/binary.ts.)
import { register } from 'node:module';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const { startTelemetryFromEnv } = await import('./platform/telemetry/start-from-env.ts');
await startTelemetryFromEnv(process.env);
