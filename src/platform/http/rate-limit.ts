import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { AppError } from '../errors.ts';
import { bearerToken } from './auth.ts';
import type { ModuleRouter } from './module-router.ts';

export interface RateLimitSettings {
  /** Requests a caller may make per minute; 0: no limit. */
  readonly perMinute: number;
  /** Set: the counts live in this Redis and every instance shares them; else each instance counts on its own. */
  readonly redisUrl?: string | undefined;
  /** Prefix of the Redis keys, so that several deployments (or test runs) can share one Redis. */
  readonly redisPrefix: string;
}

/** How long a Redis command may take before the request goes through uncounted (the limit fails open). */
const REDIS_TIMEOUT_MS = 500;

/**
 * A limit of requests per minute for each caller, with @fastify/rate-limit: a caller is the subject of a valid bearer
 * token, else the client address (so made-up tokens count against the address that sends them). Over it: 429
 * problem+json with Retry-After and the RateLimit-* headers. Routes opt out with `config: { rateLimit: false }`
 * (health probes, metrics, module-to-module calls). With Redis, a Redis that is away lets requests through: the limit
 * protects the service, it must not take it down.
 */
export async function installRateLimit(app: ModuleRouter, settings: RateLimitSettings, logger: Logger): Promise<void> {
  if (settings.perMinute === 0) return;
  // ioredis (about 40 files) is loaded only with RATE_LIMIT_REDIS_URL; without it the counts stay in this process.
  const redis = settings.redisUrl
    ? new (await import('ioredis')).Redis(settings.redisUrl, { connectTimeout: REDIS_TIMEOUT_MS, commandTimeout: REDIS_TIMEOUT_MS, maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false })
    : undefined;
  if (redis) {
    let down = false;
    redis.on('error', (error: Error) => {
      if (down) return;
      down = true;
      logger.warn({ err: error }, 'rate-limit Redis unavailable; requests go through uncounted until it is back');
    });
    redis.on('ready', () => {
      if (down) logger.info('rate-limit Redis available again');
      down = false;
    });
    app.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
  }
  await app.register(rateLimit, {
    // Not the plugin's per-route hooks: they run after a route's own guards, so requests with a bad token would never
    // count. The app-wide hook below runs before them, and for unknown routes too.
    global: false,
    max: settings.perMinute,
    timeWindow: 60_000,
    enableDraftSpec: true,
    skipOnError: true,
    ...(redis ? { redis, nameSpace: settings.redisPrefix } : {}),
    keyGenerator: callerKey,
    errorResponseBuilder: (_request, context) =>
      new AppError('rate_limited', 'RATE_LIMITED', `Too many requests: at most ${context.max} a minute. Try again in ${context.after}.`, {
        details: { limit: context.max, retryAfterSeconds: Math.ceil(context.ttl / 1000) },
      }),
  });
  const limit = app.rateLimit();
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.rateLimit === false) return;
    await limit.call(app, request, reply);
  });
}

/** `sub:<subject>` for a request with a valid token, else `ip:<address>`; the token is verified once per request. */
async function callerKey(request: FastifyRequest): Promise<string> {
  const token = bearerToken(request);
  if (token) {
    const caller = await request.server.callerOfRequest(request).catch(() => undefined);
    if (caller) return `sub:${caller.id}`;
  }
  return `ip:${request.ip}`;
}
