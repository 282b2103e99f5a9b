import type { Config } from '#platform/config.ts';
import type { Logger } from '#platform/logger.ts';
import { pingDatabase } from '#platform/db/platform-database.ts';
import { eventAdminRoutes } from '#platform/events/admin-routes.ts';
import type { EventBus } from '#platform/events/event-bus.ts';
import { EventAdmin } from '#platform/events/event-admin.ts';
import type { EventTopology } from '#platform/events/event-topology.ts';
import { listSubscriptions } from '#platform/events/event-wiring.ts';
import { adminOnly } from '#platform/http/auth.ts';
import { healthRoutes } from '#platform/http/health.ts';
import { metricsRoute } from '#platform/http/metrics-route.ts';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import type { AnyModule } from '#platform/modules/define-module.ts';
import type { AppMetrics } from '#platform/telemetry/app-metrics.ts';
import type { AppDatabases } from './databases.ts';

/** Retention deletes in small batches on this beat, away from the hot path. */
const RETENTION_INTERVAL_MS = 60_000;

/**
 * The operations step: the event admin API (lag, dead letters, replay), event retention, `/metrics` and the health
 * probes. Everything here but the probes needs the admin role.
 */
export function operationsRoutes(
  app: ModuleRouter,
  options: { local: readonly AnyModule[]; databases: AppDatabases; bus: EventBus; eventTopology: EventTopology; config: Config; logger: Logger; metrics: AppMetrics },
): void {
  const { databases, bus, eventTopology, config, logger, metrics } = options;
  const eventAdmin = new EventAdmin(
    (module) => databases.platform.get(databases.placement.urlOf(module))!,
    listSubscriptions(options.local, eventTopology),
    eventTopology.relays.map((relay) => relay.producer),
  );
  eventAdminRoutes(app, eventAdmin, { guard: adminOnly, wake: () => bus.wakeAll() });
  eventAdmin.observeLag(metrics.meter('seams.events'));
  const retention = setInterval(() => {
    eventAdmin.applyRetention(config.events.retentionMs).catch((error: unknown) => logger.warn({ err: error }, 'event retention failed'));
  }, RETENTION_INTERVAL_MS);
  retention.unref();
  app.addHook('onClose', async () => clearInterval(retention));

  metricsRoute(app, metrics, adminOnly);
  healthRoutes(app, Object.fromEntries([...databases.ofModule].map(([module, db]) => [`database:${module}`, () => pingDatabase(db)])));
}
