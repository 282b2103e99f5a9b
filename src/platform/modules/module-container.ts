import { asFunction, asValue, createContainer, InjectionMode, type AwilixContainer } from 'awilix';
import { apiDependencyName } from './contract.ts';
import { inSpan } from '../telemetry/tracing.ts';
import type { AnyModule, Factory } from './define-module.ts';

/** A module used something its manifest does not allow, or the container cannot provide. Thrown at start-up. */
export class ModuleWiringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModuleWiringError';
  }
}

/** What the platform gives every module under fixed names, on top of its own registrations. */
export type PlatformServices = Readonly<Record<string, unknown>>;

/** One awilix container per app, in strict mode, so a singleton can never capture a shorter-lived dependency. */
export function createAppContainer(): AwilixContainer {
  return createContainer({ injectionMode: InjectionMode.PROXY, strict: true });
}

/** The container key of a module's registration. */
export const key = (module: string, name: string) => `${module}/${name}`;

/** The registration name of a subscription's handler. */
export const handlerName = (subscription: string) => `handler:${subscription}`;

/**
 * Registers each module's factories in the one app container under `<module>/<name>`, and gives each factory a view
 * of the container with only what its module may see: its own registrations, its platform services, and the API of
 * each module it declared in `dependsOn`. A name outside that view throws a {@link ModuleWiringError} that says what
 * to declare, so reaching into another module fails at start-up rather than in production.
 *
 * `remoteApis` are the clients of modules that run in another process (by module name): each is registered where
 * that module's API would be, so `<name>Api` resolves to it, behind the same tracing wrapper, and callers cannot tell.
 */
export function registerModules(
  container: AwilixContainer,
  modules: readonly AnyModule[],
  servicesFor: (module: AnyModule) => PlatformServices,
  remoteApis: ReadonlyMap<string, object> = new Map(),
): { viewOf: (module: string) => Record<string, unknown>; calls: ReadonlyMap<string, ReadonlySet<string>> } {
  for (const [name, api] of remoteApis) container.register(key(name, 'api'), asValue(api));
  // Container name of each API a module may be given (`catalogApi`) -> the module that provides it, here or remote.
  const providers = new Map([
    ...modules.filter((module) => module.api).map((module) => [apiDependencyName(module.name), module.name] as const),
    ...[...remoteApis.keys()].map((name) => [apiDependencyName(name), name] as const),
  ]);
  const views = new Map<string, Record<string, unknown>>();
  const calls = new Map<string, Set<string>>(modules.map((module) => [module.name, new Set<string>()]));

  for (const module of modules) {
    const services = servicesFor(module);
    for (const [name, value] of Object.entries(services)) container.register(key(module.name, name), asValue(value));
    const view = moduleView(container, module, providers, Object.keys(services), calls.get(module.name)!);
    views.set(module.name, view);
    const factories: Record<string, Factory> = { ...module.register };
    if (module.api) factories.api = module.api;
    for (const subscription of module.subscriptions ?? []) factories[handlerName(subscription.name)] = subscription.handler;
    for (const [name, factory] of Object.entries(factories)) {
      container.register(key(module.name, name), asFunction(() => factory(view as never)).singleton());
    }
  }

  return {
    calls,
    viewOf(module) {
      const view = views.get(module);
      if (!view) throw new ModuleWiringError(`Module "${module}" is not registered`);
      return view;
    },
  };
}

/** Resolves every registration of every module now, so a wiring mistake stops start-up instead of a later request. */
export function resolveAll(container: AwilixContainer, modules: readonly AnyModule[]): void {
  for (const module of modules) {
    const names = [
      ...Object.keys(module.register ?? {}),
      ...(module.api ? ['api'] : []),
      ...(module.subscriptions ?? []).map((subscription) => handlerName(subscription.name)),
    ];
    for (const name of names) container.resolve(key(module.name, name));
  }
}

const traced = new WeakMap<object, Map<string, object>>();

/**
 * Wraps a module's API so that each call from another module is a span named `<module>.<method>`, with the callee
 * and the caller as attributes. One wrapper per (API, caller), made once at start-up.
 */
function tracedApi(api: Record<string, (input: unknown) => Promise<unknown>>, provider: string, caller: string): object {
  let byCaller = traced.get(api);
  if (!byCaller) traced.set(api, (byCaller = new Map()));
  const existing = byCaller.get(caller);
  if (existing) return existing;
  const wrapped = Object.fromEntries(
    Object.entries(api).map(([method, call]) => [
      method,
      (input: unknown) => inSpan(`${provider}.${method}`, { attributes: { 'seams.module': provider, 'seams.caller': caller, 'seams.method': method } }, () => call(input)),
    ]),
  );
  byCaller.set(caller, wrapped);
  return wrapped;
}

function moduleView(
  container: AwilixContainer,
  module: AnyModule,
  apis: ReadonlyMap<string, string>,
  serviceNames: string[],
  calls: Set<string>,
): Record<string, unknown> {
  const own = new Set([...serviceNames, ...Object.keys(module.register ?? {}), ...(module.api ? ['api'] : [])]);

  return new Proxy(
    {},
    {
      get(_target, property) {
        if (typeof property !== 'string') return undefined;
        if (own.has(property)) return container.resolve(key(module.name, property));
        const provider = apis.get(property);
        if (provider !== undefined) {
          if (!(provider in module.dependsOn)) {
            throw new ModuleWiringError(
              `Module "${module.name}" resolves "${property}" but does not declare a dependency on "${provider}". ` +
                `Declare dependsOn: { '${provider}': '<why>' } in modules/${module.name}/index.ts.`,
            );
          }
          calls.add(provider);
          return tracedApi(container.resolve(key(provider, 'api')), provider, module.name);
        }
        throw new ModuleWiringError(
          `Module "${module.name}" resolves "${property}", which is not registered for it. ` +
            `It can resolve: ${[...own].sort().join(', ')}${Object.keys(module.dependsOn).length ? `, ${Object.keys(module.dependsOn).map(apiDependencyName).join(', ')}` : ''}.`,
        );
      },
    },
  );
}
