import type { onRequestHookHandler } from 'fastify';
import type { ModuleRouter } from './module-router.ts';
import { PROMETHEUS_CONTENT_TYPE, type AppMetrics } from '../telemetry/app-metrics.ts';

/** `GET /metrics` in the Prometheus text format, for admins (Prometheus sends the token as `authorization`); not rate-limited, as scrapes are admin-only. */
export function metricsRoute(app: ModuleRouter, metrics: AppMetrics, guard: onRequestHookHandler): void {
  app.get('/metrics', { onRequest: guard, config: { rateLimit: false }, schema: { hide: true } }, async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(await metrics.scrape()));
}
