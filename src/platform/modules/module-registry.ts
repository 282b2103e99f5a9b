import { subscriptionVersionProblems } from '../events/event-versions.ts';
import type { AnyModule } from './define-module.ts';
import { ModuleWiringError } from './module-container.ts';

/**
 * Checks the module list as a whole: names are unique, every declared dependency names a known module, and every
 * subscription can get the version of the event it takes (event-versions.ts). Returns the
 * modules by name. Which of them this process runs, and whether it can reach what they need, is the topology's
 * check (topology.ts).
 */
export function validateModules(all: readonly AnyModule[]): ReadonlyMap<string, AnyModule> {
  const byName = new Map<string, AnyModule>();
  for (const module of all) {
    if (byName.has(module.name)) throw new ModuleWiringError(`Two modules are named "${module.name}"`);
    byName.set(module.name, module);
  }
  for (const module of all) {
    for (const dependency of Object.keys(module.dependsOn)) {
      if (!byName.has(dependency)) {
        throw new ModuleWiringError(`Module "${module.name}" declares a dependency on "${dependency}", which is not in src/modules.ts`);
      }
    }
  }
  // A subscriber that cannot get its version of what the producer publishes would dead-letter every event.
  const versionProblems = subscriptionVersionProblems(all);
  if (versionProblems.length > 0) throw new ModuleWiringError(versionProblems.join('\n'));
  return byName;
}

/**
 * Synchronous calls between modules must not form a cycle; events may flow back. Checked on the API resolutions the
 * container actually saw at start-up (`calls`: module -> modules whose API it resolved).
 */
export function assertNoSyncCycle(calls: ReadonlyMap<string, ReadonlySet<string>>): void {
  const cycle = findCycle(calls);
  if (cycle) throw new ModuleWiringError(`Modules call each other's APIs in a cycle: ${cycle.join(' -> ')}. Let one side react to the other's events instead.`);
}

function findCycle(calls: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'visiting');
    path.push(name);
    for (const dependency of calls.get(name) ?? []) {
      const cycle = visit(dependency);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const module of calls.keys()) {
    const cycle = visit(module);
    if (cycle) return cycle;
  }
  return undefined;
}
