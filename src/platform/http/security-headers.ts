import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { ModuleRouter } from './module-router.ts';

/**
 * Headers every answer carries, and CORS when asked for. `x-content-type-options: nosniff` everywhere, so a browser
 * never reads a JSON or problem body as HTML or script. CORS only for the origins listed (CORS_ORIGINS): without them
 * a browser on another origin cannot read any answer.
 */
export async function installSecurityHeaders(app: ModuleRouter, options: { corsOrigins: readonly string[] }): Promise<void> {
  // onSend rather than onRequest: it also runs for answers to requests rejected before routing.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    done(null, payload);
  });
  if (options.corsOrigins.length === 0) return;
  await app.register(cors, {
    origin: [...options.corsOrigins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-request-id', 'traceparent', 'tracestate'],
    exposedHeaders: ['location', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-request-id'],
    maxAge: 600,
  });
}

/**
 * Registers HTML pages (the API docs, later the module console) in a scope of their own with helmet's headers:
 * framing, referrer, cross-origin isolation, HSTS. Their Content-Security-Policy is the page's own (Swagger UI sets one
 * with the hashes of its inline scripts), so helmet's generic one is left out here.
 */
export async function htmlPages(app: ModuleRouter, register: (scope: ModuleRouter) => Promise<void>): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(helmet, { global: true, contentSecurityPolicy: false });
    await register(scope);
  });
}
