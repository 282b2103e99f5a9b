import type { Config } from '#platform/config.ts';
import { consoleAssets } from '#platform/console/console-assets.ts';
import { consoleRoutes } from '#platform/console/console-routes.ts';
import type { RouteOwners } from '#platform/console/route-owners.ts';
import type { SignInCode } from '#platform/console/sign-in-code.ts';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import type { AnyModule } from '#platform/modules/define-module.ts';
import type { TraceSource } from '#platform/telemetry/trace-buffer.ts';
import type { AppDatabases } from './databases.ts';

/**
 * The console step: its JSON API (admin only, in /docs like any route) and its page at /console/. It reads the
 * manifests of every module, this process's trace buffer, and the platform's connections for the local modules' tables.
 */
export async function consoleStep(
  app: ModuleRouter,
  options: {
    all: readonly AnyModule[];
    config: Config;
    databases: AppDatabases;
    calls: ReadonlyMap<string, ReadonlySet<string>>;
    routeOwners: RouteOwners;
    traces: TraceSource | undefined;
    signInCode: SignInCode | undefined;
    assets: string | undefined;
  },
): Promise<void> {
  const { config, databases } = options;
  consoleRoutes(app, {
    modules: options.all,
    local: config.modules,
    remoteModules: config.remoteModules,
    calls: options.calls,
    routeOwners: options.routeOwners,
    platformDbOf: (module) => (databases.ofModule.has(module) ? databases.platform.get(databases.placement.urlOf(module)) : undefined),
    traces: options.traces,
    traceUrl: config.consoleTraceUrl,
    signInCode: options.signInCode,
    serviceName: config.otel.serviceName,
  });
  await consoleAssets(app, options.assets);
}
