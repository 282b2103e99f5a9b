import Type from 'typebox';
import { isDatabaseUnavailable } from '../db/database-unavailable.ts';
import type { ModuleRouter } from './module-router.ts';
import { sendProblem } from './error-handler.ts';
import { problem, ProblemSchema } from './problem.ts';

/** A readiness probe: resolves when the dependency answers, rejects otherwise. */
export type ReadinessCheck = () => Promise<void>;

const READY_TIMEOUT_MS = 2000;

/**
 * `/health/live` says the process is up. `/health/ready` says it can serve: every check (one per module database)
 * answered within the timeout. Load balancers and the Docker HEALTHCHECK use the latter.
 */
export function healthRoutes(app: ModuleRouter, checks: Record<string, ReadinessCheck>): void {
  // Probes come every few seconds from every load balancer: never rate-limited.
  app.get('/health/live', { config: { rateLimit: false }, schema: { hide: true, response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  app.get(
    '/health/ready',
    { config: { rateLimit: false }, schema: { hide: true, response: { 200: Type.Object({ status: Type.Literal('ready') }), 503: ProblemSchema } } },
    async (request, reply) => {
      const failures: string[] = [];
      await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          try {
            await withTimeout(check(), READY_TIMEOUT_MS);
          } catch (error) {
            // A database outage is told once, when it starts; probes every few seconds would repeat it.
            if (isDatabaseUnavailable(error)) request.log.debug({ err: error, check: name }, 'readiness check failed');
            else request.log.warn({ err: error, check: name }, 'readiness check failed');
            failures.push(name);
          }
        }),
      );
      if (failures.length === 0) return { status: 'ready' as const };
      return sendProblem(reply, { ...problem(503, 'NOT_READY', `Not ready: ${failures.sort().join(', ')} did not answer`), failing: failures });
    },
  );
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
