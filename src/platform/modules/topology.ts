import type { AnyModule } from './define-module.ts';
import { ModuleWiringError } from './module-container.ts';
import { validateModules } from './module-registry.ts';

/** A module that runs in another process, and the base URL where that process serves its contract. */
export interface RemoteModule {
  readonly module: AnyModule;
  readonly url: string;
}

/** Which modules this process runs and where the others it needs live. */
export interface Topology {
  /** The modules this process runs, in the order of the module list. */
  readonly local: readonly AnyModule[];
  /** The modules named in REMOTE_MODULES, in the order of the module list. */
  readonly remote: readonly RemoteModule[];
}

/**
 * Splits the module list into what runs here (MODULES) and what runs elsewhere (REMOTE_MODULES), after checking the
 * list as a whole. Every module a local module depends on must be one or the other; the start-up error names each
 * one that is neither, so one message says everything to add.
 */
export function resolveTopology(all: readonly AnyModule[], localNames: readonly string[], remoteUrls: Readonly<Record<string, string>>): Topology {
  const byName = validateModules(all);
  const unknown = [...localNames, ...Object.keys(remoteUrls)].filter((name) => !byName.has(name));
  if (unknown.length > 0) throw new ModuleWiringError(`${unknown.map((name) => `Module "${name}"`).join(', ')} is not in src/modules.ts`);
  const overlap = localNames.filter((name) => name in remoteUrls);
  if (overlap.length > 0) throw new ModuleWiringError(`${overlap.map((name) => `"${name}"`).join(', ')} cannot be both local (MODULES) and remote (REMOTE_MODULES)`);

  const unreachable = new Map<string, string[]>();
  for (const name of localNames) {
    for (const dependency of Object.keys(byName.get(name)!.dependsOn)) {
      if (localNames.includes(dependency) || dependency in remoteUrls) continue;
      unreachable.set(dependency, [...(unreachable.get(dependency) ?? []), name]);
    }
  }
  if (unreachable.size > 0) {
    const lines = [...unreachable].map(
      ([dependency, neededBy]) =>
        `"${dependency}" (needed by ${neededBy.map((name) => `"${name}"`).join(', ')}): add it to MODULES, or to REMOTE_MODULES as ${dependency}=http://<host>:<port>`,
    );
    throw new ModuleWiringError(`This process neither runs nor knows where to reach ${unreachable.size === 1 ? 'a module' : 'modules'} it needs:\n  - ${lines.join('\n  - ')}`);
  }

  return {
    local: all.filter((module) => localNames.includes(module.name)),
    remote: all.filter((module) => module.name in remoteUrls).map((module) => ({ module, url: remoteUrls[module.name]! })),
  };
}
