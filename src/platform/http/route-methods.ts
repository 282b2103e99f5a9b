import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { ModuleRouter } from './module-router.ts';

/**
 * The methods each route path answers, so that a known path asked with another method is told `405` and which methods
 * it takes (RFC 9110, 15.5.6) rather than `404`, which would say the path does not exist. Fastify's own router answers
 * only "no route for this method and path"; this is a second router of the same kind (find-my-way), with the same
 * options, fed by every route as it is added.
 */
export function trackRouteMethods(app: ModuleRouter): (path: string) => string[] {
  const router = FindMyWay({ ignoreTrailingSlash: true });
  const methods = new Set<HTTPMethod>();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat() as HTTPMethod[]) {
      if (router.hasRoute(method, route.url)) continue;
      router.on(method, route.url, () => undefined);
      methods.add(method);
    }
  });
  return (path) => [...methods].filter((method) => router.find(method, path) !== null).sort();
}
