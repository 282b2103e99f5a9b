import type { ContractMethod } from '../modules/contract.ts';
import type { AnyModule } from '../modules/define-module.ts';
import type { EventDefinition } from '../events/event-definition.ts';
import { producerOf } from '../events/event-definition.ts';
import { versionsOf } from '../events/event-versions.ts';

/** Where a module runs, seen from this process. */
export type Placement =
  | { readonly kind: 'here' }
  /** In another process whose API this one calls (REMOTE_MODULES). */
  | { readonly kind: 'remote'; readonly url: string }
  /** In another process this one reaches by events only, or not at all. */
  | { readonly kind: 'elsewhere' };

export interface DependencyView {
  readonly module: string;
  readonly reason: string;
  /** The module's API was resolved for this one at start-up (known for modules that run here). */
  readonly callsApi: boolean;
  /** The other module's events this one subscribes to, as `name@version`. */
  readonly events: readonly string[];
}

export interface ModuleView {
  readonly name: string;
  readonly description: string;
  readonly owners: readonly string[];
  readonly placement: Placement;
  readonly dependsOn: readonly DependencyView[];
  /** Each event the module publishes, at its newest version. */
  readonly publishes: ReadonlyArray<{ readonly event: string; readonly version: number; readonly description: string }>;
  readonly methods: readonly string[];
}

/** One subscription: events flow from the producer to the subscriber, taken at `version`. */
export interface EventFlow {
  readonly producer: string;
  readonly subscriber: string;
  readonly event: string;
  readonly version: number;
  readonly subscription: string;
}

export interface SystemView {
  readonly modules: readonly ModuleView[];
  readonly flows: readonly EventFlow[];
}

export interface SystemFacts {
  /** Every module of the system (src/modules.ts), local or not: the manifests are in every process. */
  readonly modules: readonly AnyModule[];
  readonly local: readonly string[];
  readonly remoteModules: Readonly<Record<string, string>>;
  /** Module -> modules whose API it resolved at start-up (local modules only). */
  readonly calls: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The module map's facts, from the manifests as this process loaded them: nothing here is read from source files. */
export function systemView(facts: SystemFacts): SystemView {
  const local = new Set(facts.local);
  const modules = facts.modules.map((module): ModuleView => {
    const subscriptions = module.subscriptions ?? [];
    const remoteUrl = facts.remoteModules[module.name];
    return {
      name: module.name,
      description: module.description ?? '',
      owners: module.owners,
      placement: local.has(module.name) ? { kind: 'here' } : remoteUrl ? { kind: 'remote', url: remoteUrl } : { kind: 'elsewhere' },
      dependsOn: Object.entries(module.dependsOn).map(([dependency, reason]) => ({
        module: dependency,
        reason,
        callsApi: facts.calls.get(module.name)?.has(dependency) ?? false,
        events: subscriptions.filter((subscription) => producerOf(subscription.event) === dependency).map((subscription) => label(subscription.event)),
      })),
      publishes: publishedEvents(module).map((event) => ({ event: event.name, version: event.version, description: event.description })),
      methods: Object.keys((module.contract?.methods ?? {}) as Record<string, ContractMethod>),
    };
  });
  const flows = facts.modules.flatMap((module) =>
    (module.subscriptions ?? []).map((subscription) => ({
      producer: producerOf(subscription.event),
      subscriber: module.name,
      event: subscription.event.name,
      version: subscription.event.version,
      subscription: subscription.name,
    })),
  );
  return { modules, flows };
}

/** The events in a module's contract, each at its newest version. */
export function publishedEvents(module: AnyModule): EventDefinition[] {
  return Object.values((module.contract?.events ?? {}) as Record<string, EventDefinition>);
}

/** Every version of an event the module's contract declares, oldest first. */
export function publishedVersions(event: EventDefinition): EventDefinition[] {
  return versionsOf(event);
}

export function label(event: Pick<EventDefinition, 'name' | 'version'>): string {
  return `${event.name}@${event.version}`;
}
