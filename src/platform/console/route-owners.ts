import type { RouteOptions } from 'fastify';

/** Which module registered which HTTP route: the console groups the OpenAPI document's operations by module with it. */
export class RouteOwners {
  readonly #owners = new Map<string, string>();
  readonly #routes = new Map<string, Array<{ method: string; url: string }>>();

  /** An onRoute hook for the scope a module's routes are registered in. */
  recorder(module: string): (route: RouteOptions) => void {
    return (route) => {
      for (const method of [route.method].flat()) {
        if (method === 'HEAD') continue;
        this.#owners.set(`${method} ${route.url}`, module);
        this.#routes.set(module, [...(this.#routes.get(module) ?? []), { method, url: route.url }]);
      }
    };
  }

  /** The module whose route this is (`GET`, `/orders/:id`), if it is a module's. */
  ownerOf(method: string, url: string): string | undefined {
    return this.#owners.get(`${method} ${url}`);
  }

  routesOf(module: string): ReadonlyArray<{ method: string; url: string }> {
    return this.#routes.get(module) ?? [];
  }
}
