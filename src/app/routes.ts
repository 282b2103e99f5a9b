import { fastifyAwilixPlugin } from '@fastify/awilix';
import type { AwilixContainer } from 'awilix';
import type { FastifyBaseLogger } from 'fastify';
import { childWithStrings, type Logger } from '#platform/logger.ts';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import type { AnyModule } from '#platform/modules/define-module.ts';
import type { RouteOwners } from '#platform/console/route-owners.ts';

/** The routes step: each local module's routes, in a scope of their own, given the module's view of the container, each recorded as the module's. */
export async function moduleRoutes(
  app: ModuleRouter,
  local: readonly AnyModule[],
  viewOf: (module: string) => Record<string, unknown>,
  container: AwilixContainer,
  owners: RouteOwners,
): Promise<void> {
  for (const module of local) {
    const routes = module.routes;
    if (!routes) continue;
    await app.register(async (scope) => {
      // The console lists each module's routes from the OpenAPI document, and names the module a request span served.
      scope.addHook('onRoute', owners.recorder(module.name));
      // Every line logged while a module's route handles a request names the module, the "incoming request" line
      // included. Fastify makes one child logger per request anyway; adding the module to its bindings costs nothing,
      // where a second child in a hook cost about a tenth of a cheap read (docs/benchmarks-history.md). No options
      // object when there are none: pino's child() takes its fast path only then.
      // The request id and the module are strings: childWithStrings skips pino's redaction of them.
      const bindings = { module: module.name };
      scope.setChildLoggerFactory((parent, requestBindings, options) =>
        Object.keys(options).length === 0 && Object.values(requestBindings).every((value) => typeof value === 'string')
          ? (childWithStrings(parent as Logger, { ...(requestBindings as Record<string, string>), ...bindings }) as FastifyBaseLogger)
          : parent.child({ ...requestBindings, ...bindings }, Object.keys(options).length === 0 ? undefined : options),
      );
      // Only in this module's scope: its requests get `request.diScope`, the others pay nothing for it. The app
      // disposes the container itself (src/app/container.ts).
      if (module.requestScope) {
        await scope.register(fastifyAwilixPlugin, { container, disposeOnClose: false, disposeOnResponse: true, asyncInit: false, eagerInject: false });
      }
      await routes(scope, viewOf(module.name) as never);
    });
  }
}
