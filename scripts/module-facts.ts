/**
 * Everything the generated CODEOWNERS and module docs say about the modules, derived from the manifests (the module
 * list in src/modules.ts) and the modules' source. One place, so the two generators cannot disagree.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { EventDefinition } from '#platform/events/event-definition.ts';
import { producerOf } from '#platform/events/event-definition.ts';
import { versionsOf } from '#platform/events/event-versions.ts';
import { apiDependencyName, type ContractMethod } from '#platform/modules/contract.ts';
import type { AnyModule } from '#platform/modules/define-module.ts';
import { schemaName } from '#platform/db/database-names.ts';
import { apiUses, moduleTables, type TableFacts } from './source-facts.ts';

export interface DependencyFacts {
  readonly module: string;
  readonly reason: string;
  /** True when the module's code uses the other module's API (`catalogApi`): a synchronous dependency. */
  readonly callsApi: boolean;
  /** The API methods the code calls by name (`catalogApi.getProducts(…)`). */
  readonly methodsCalled: readonly string[];
  /** The other module's events this module subscribes to. */
  readonly eventsConsumed: readonly EventDefinition[];
}

export interface DependentFacts {
  readonly module: string;
  readonly owners: readonly string[];
  readonly reason: string;
}

export interface MethodFacts extends ContractMethod {
  readonly name: string;
}

export interface PublishedEventFacts {
  /** The newest version, which the module publishes. */
  readonly event: EventDefinition;
  /** The versions before it that are still declared (and converted to and from), oldest first. */
  readonly earlier: readonly EventDefinition[];
  /** Modules that subscribe to this event, each with the version it takes. */
  readonly consumers: ReadonlyArray<{ readonly module: string; readonly version: number }>;
}

export interface ConsumedEventFacts {
  readonly event: EventDefinition;
  readonly from: string;
  readonly subscription: string;
  readonly partitions: number;
}

export interface ModuleFacts {
  readonly name: string;
  readonly owners: readonly string[];
  /** The manifest's description. */
  readonly description: string;
  readonly schema: string;
  readonly dependencies: readonly DependencyFacts[];
  readonly dependents: readonly DependentFacts[];
  readonly methods: readonly MethodFacts[];
  readonly published: readonly PublishedEventFacts[];
  readonly consumed: readonly ConsumedEventFacts[];
  readonly tables: readonly TableFacts[];
  /** Migration files in migrations/<name>/, in the order they run. */
  readonly migrations: readonly string[];
}


/** The facts of every module, in the order of the module list. `root` is the project root. */
export async function moduleFacts(modules: readonly AnyModule[], root: string): Promise<ModuleFacts[]> {
  return Promise.all(
    modules.map(async (module): Promise<ModuleFacts> => {
      const subscriptions = module.subscriptions ?? [];
      const uses = await apiUses(root, module.name, Object.keys(module.dependsOn).map(apiDependencyName));
      const contractOf = (name: string) => modules.find((other) => other.name === name)?.contract;
      return {
        name: module.name,
        owners: module.owners,
        description: module.description ?? '',
        schema: schemaName(module.name),
        dependencies: Object.entries(module.dependsOn).map(([dependency, reason]) => {
          const methods = uses.get(apiDependencyName(dependency));
          const offered = Object.keys(contractOf(dependency)?.methods ?? {});
          return {
            module: dependency,
            reason,
            callsApi: methods !== undefined,
            methodsCalled: [...(methods ?? [])].filter((method) => offered.includes(method)).sort(),
            eventsConsumed: subscriptions.filter((subscription) => producerOf(subscription.event) === dependency).map((subscription) => subscription.event),
          };
        }),
        dependents: modules
          .filter((other) => module.name in other.dependsOn)
          .map((other) => ({ module: other.name, owners: other.owners, reason: other.dependsOn[module.name]! })),
        methods: Object.entries((module.contract?.methods ?? {}) as Record<string, ContractMethod>).map(([name, method]) => ({ name, ...method })),
        published: Object.values((module.contract?.events ?? {}) as Record<string, EventDefinition>).map((event) => ({
          event,
          earlier: versionsOf(event).slice(0, -1),
          consumers: modules.flatMap((other) =>
            (other.subscriptions ?? []).filter((subscription) => subscription.event.name === event.name).map((subscription) => ({ module: other.name, version: subscription.event.version })),
          ),
        })),
        consumed: subscriptions.map((subscription) => ({
          event: subscription.event,
          from: producerOf(subscription.event),
          subscription: subscription.name,
          partitions: subscription.partitions,
        })),
        tables: await moduleTables(root, module.name),
        migrations: (await readdir(path.join(root, 'migrations', module.name)).catch(() => [] as string[])).filter((file) => file.endsWith('.ts')).sort(),
      };
    }),
  );
}
