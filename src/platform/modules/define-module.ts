import type { Contract, ContractApi } from './contract.ts';
import type { ModuleRouter } from '../http/module-router.ts';
import { producerOf } from '../events/event-definition.ts';
import type { SubscriptionDefinition } from '../events/subscription.ts';

/**
 * A factory registered in the app container. It receives the module's dependencies as one object and declares the
 * small type it needs: `(deps: { db: ModuleDb<CatalogTables> }) => ProductsRepository`. The platform calls it with
 * the module's view of the container, which holds only the module's own registrations, the platform services
 * (`db`, `logger`, `config`) and the APIs of the modules it declared in `dependsOn`.
 */
// `never` as the parameter type lets any factory with any declared deps type be listed here (parameters are
// contravariant); the container is what guarantees the deps at run time, and start-up resolves every one eagerly.
export type Factory<T = unknown> = (deps: never) => T;

/** A module's routes. Paths are absolute (`/catalog/products`); deps come from the module's view of the container. */
export type RoutesFactory = (app: ModuleRouter, deps: never) => void | Promise<void>;

/**
 * A module's manifest: the single source of truth for its wiring, data, routes, dependencies and owners. Declared
 * once in `modules/<name>/index.ts`.
 */
export interface ModuleDefinition<
  C extends Contract = Contract,
  R extends Readonly<Record<string, Factory>> = Readonly<Record<string, Factory>>,
  D extends Readonly<Record<string, string>> = Readonly<Record<string, string>>,
> {
  /** kebab-case; also the name of the module's schema (with `_`) and the prefix of its role. */
  readonly name: string;
  /** What the module is for, in a sentence or two: shown in docs/modules.md and on the console's module map. */
  readonly description?: string;
  /** Teams or people who review changes to the module (used for CODEOWNERS). */
  readonly owners: readonly string[];
  /**
   * Other modules this one may call or subscribe to, each with a one-line reason a reviewer can argue with. Using a
   * module that is not declared here fails at start-up and in CI.
   */
  readonly dependsOn: D;
  /** The public contract from `contract.ts`, if the module offers an API. */
  readonly contract?: C;
  /** Builds the implementation of the contract; other modules receive it as `<name>Api`. */
  readonly api?: (deps: never) => ContractApi<C>;
  /** The module's private registrations, by container name (`productsRepository`). */
  readonly register?: R;
  readonly routes?: RoutesFactory;
  /**
   * The routes resolve request-scoped dependencies through `request.diScope` (@fastify/awilix): a child scope of the
   * app container is made for each of the module's requests and disposed after the response. Off by default, since a
   * scope per request costs every request something; only request context (the caller, the request id) belongs there.
   */
  readonly requestScope?: boolean;
  /**
   * Events of other modules (or its own) this module reacts to. Subscribing to another module requires declaring it
   * in `dependsOn`. Created with `subscribe(Event, makeHandler)`.
   */
  readonly subscriptions?: readonly SubscriptionDefinition[];
}

const MODULE_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Declares a module. Checks what can be checked without the other modules; the registry checks the rest. */
// R and D are kept as declared so the test harness can type a module's registrations and dependencies.
export function defineModule<
  C extends Contract,
  const R extends Readonly<Record<string, Factory>> = Readonly<Record<never, Factory>>,
  const D extends Readonly<Record<string, string>> = Readonly<Record<never, string>>,
>(definition: ModuleDefinition<C, R, D>): ModuleDefinition<C, R, D> {
  if (!MODULE_NAME.test(definition.name)) {
    throw new Error(`Module name "${definition.name}" must be kebab-case: lowercase letters and digits, words joined by "-"`);
  }
  if (definition.owners.length === 0) throw new Error(`Module "${definition.name}" must name at least one owner`);
  if (definition.contract && definition.contract.module !== definition.name) {
    throw new Error(`Module "${definition.name}" uses the contract of "${definition.contract.module}"`);
  }
  if (definition.contract && !definition.api) throw new Error(`Module "${definition.name}" has a contract but no api implementation`);
  for (const [dependency, reason] of Object.entries(definition.dependsOn)) {
    if (dependency === definition.name) throw new Error(`Module "${definition.name}" cannot depend on itself`);
    if (reason.trim().length === 0) throw new Error(`Module "${definition.name}" must give a reason for depending on "${dependency}"`);
  }
  const subscriptionNames = new Set<string>();
  for (const subscription of definition.subscriptions ?? []) {
    const producer = producerOf(subscription.event);
    if (producer !== definition.name && !(producer in definition.dependsOn)) {
      throw new Error(
        `Module "${definition.name}" subscribes to ${subscription.event.name} but does not declare a dependency on "${producer}". ` +
          `Declare dependsOn: { '${producer}': '<why>' } in modules/${definition.name}/index.ts.`,
      );
    }
    if (subscriptionNames.has(subscription.name)) throw new Error(`Module "${definition.name}" has two subscriptions named "${subscription.name}"; give one a name`);
    subscriptionNames.add(subscription.name);
  }
  return definition;
}

/** Any module definition, whatever its contract. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModule = ModuleDefinition<any, Readonly<Record<string, Factory>>, Readonly<Record<string, string>>>;
