import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AggregatedHistograms } from '../telemetry/aggregated-histograms.ts';
import type { Logger } from 'pino';
import type { TrustProxy } from '../config.ts';
import { installAuth, type AuthSettings } from './auth.ts';
import { installErrorHandling, sendProblem } from './error-handler.ts';
import { problem } from './problem.ts';
import { installRateLimit, type RateLimitSettings } from './rate-limit.ts';
import { htmlPages, installSecurityHeaders } from './security-headers.ts';
import type { ModuleRouter } from './module-router.ts';
import { validatorCompiler } from './validator-compiler.ts';
import { recordRequestDurations } from './request-duration.ts';
import { requestIds } from './request-ids.ts';

/** How long a client may take (HTTP_*_TIMEOUT_MS). */
export interface HttpTimeouts {
  readonly requestMs: number;
  readonly connectionMs: number;
  readonly keepAliveMs: number;
}

/** HTTP_REQUEST_TIMEOUT_MS, HTTP_CONNECTION_TIMEOUT_MS and HTTP_KEEP_ALIVE_TIMEOUT_MS at their defaults. */
const DEFAULT_TIMEOUTS: HttpTimeouts = { requestMs: 10_000, connectionMs: 30_000, keepAliveMs: 72_000 };

/**
 * The Fastify instance every app runs on: JSON in and out, TypeBox validation, problem+json errors, bearer-token
 * auth, OpenAPI docs at /docs, request ids, and a request-duration histogram by route and status.
 */
export async function createHttpServer(options: {
  logger: Logger;
  auth: AuthSettings;
  /** Default: no limit. */
  rateLimit?: RateLimitSettings;
  /** Fastify's trustProxy: which proxies' X-Forwarded-For gives the client address. Default: none. */
  trustProxy?: TrustProxy;
  /** Origins whose browser pages may call the API (CORS); none (the default): no CORS headers at all. */
  corsOrigins?: readonly string[];
  /** Default: the configuration's defaults. */
  timeouts?: HttpTimeouts;
  /** Where the request-duration histogram is recorded (the app's metrics, app-metrics.ts). */
  histograms: AggregatedHistograms;
  /** The Swagger UI's files, when not in the installed package (the single binary unpacks its own copy). */
  docsAssets?: string | undefined;
}): Promise<ModuleRouter> {
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  const app = fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    genReqId: requestIds(),
    trustProxy: options.trustProxy ?? false,
    // A slow or silent client holds a socket only this long: the whole request within requestTimeout (headers
    // included), no silence longer than connectionTimeout mid-request, no idle keep-alive longer than keepAliveTimeout.
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.connectionMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    // Node checks the request timeout on this beat (30 s by default, which would let a slow client stay that long).
    http: { headersTimeout: timeouts.requestMs, connectionsCheckingInterval: Math.min(1000, timeouts.requestMs) },
    requestIdHeader: 'x-request-id',
    // Probes hit health every few seconds; their lines would drown the ones that matter.
    logController: new LogController({ requestIdLogLabel: 'reqId', disableRequestLogging: (request) => request.url.startsWith('/health/') }),
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
    // Errors raised before a route is found (a malformed URL, a path too long) get the same problem+json as the rest.
    frameworkErrors: (error, request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
      request.log.info({ code: error.code, status }, 'request rejected before routing');
      // No hooks run for these, the onSend that adds it everywhere else included.
      reply.header('x-content-type-options', 'nosniff');
      void sendProblem(reply, { ...problem(status, 'BAD_REQUEST', error.message), requestId: request.id });
    },
  })
    .setValidatorCompiler(validatorCompiler)
    .withTypeProvider<TypeBoxTypeProvider>();

  // First: it sees every route as it is registered, the plugins' own (CORS preflight, docs) included.
  recordRequestDurations(app, options.histograms);
  installErrorHandling(app);
  await installSecurityHeaders(app, { corsOrigins: options.corsOrigins ?? [] });
  // While closing, answers say `connection: close`, so keep-alive clients let go and close() does not wait on them.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Hooks on every request are callback-style: an async hook costs a promise per request.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  await installAuth(app, options.auth);
  // Before any route: the plugin attaches its hook to the routes registered after it.
  await installRateLimit(app, options.rateLimit ?? { perMinute: 0, redisPrefix: '' }, options.logger);
  // The API speaks JSON only; a text body is answered with 415 rather than failing schema validation as a string.
  app.removeContentTypeParser('text/plain');

  await app.register(swagger, {
    openapi: {
      info: { title: 'Seams', version: '0.1.0', description: 'The Seams reference shop API.' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  // From another folder, the plugin's own logo must come from there too: it reads it from beside its code otherwise.
  const assets = options.docsAssets && { baseDir: options.docsAssets, logo: { type: 'image/svg+xml', content: await readFile(path.join(options.docsAssets, 'logo.svg')) } };
  await htmlPages(app, async (scope) => {
    await scope.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, ...assets });
  });
  return app;
}
