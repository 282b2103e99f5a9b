import type { ModuleRouter } from '#platform/http/module-router.ts';
import type { AnyModule } from '#platform/modules/define-module.ts';
import type { RouteOwners } from '#platform/console/route-owners.ts';

/** The routes step: each local module's routes, in a scope of their own, given the module's view of the container, each recorded as the module's. */
export async function moduleRoutes(app: ModuleRouter, local: readonly AnyModule[], viewOf: (module: string) => Record<string, unknown>, owners: RouteOwners): Promise<void> {
  for (const module of local) {
    const routes = module.routes;
    if (!routes) continue;
    await app.register(async (scope) => {
      // The console lists each module's routes from the OpenAPI document, and names the module a request span served.
      scope.addHook('onRoute', owners.recorder(module.name));
      // Every line logged while a module's route handles a request names the module.
      scope.addHook('onRequest', async (request, reply) => {
        request.log = request.log.child({ module: module.name });
        reply.log = request.log;
      });
      await routes(scope, viewOf(module.name) as never);
    });
  }
}
