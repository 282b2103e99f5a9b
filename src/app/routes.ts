import type { ModuleRouter } from '#platform/http/module-router.ts';
import type { AnyModule } from '#platform/modules/define-module.ts';

/** The routes step: each local module's routes, in a scope of their own, given the module's view of the container. */
export async function moduleRoutes(app: ModuleRouter, local: readonly AnyModule[], viewOf: (module: string) => Record<string, unknown>): Promise<void> {
  for (const module of local) {
    const routes = module.routes;
    if (!routes) continue;
    await app.register(async (scope) => {
      // Every line logged while a module's route handles a request names the module.
      scope.addHook('onRequest', async (request, reply) => {
        request.log = request.log.child({ module: module.name });
        reply.log = request.log;
      });
      await routes(scope, viewOf(module.name) as never);
    });
  }
}
