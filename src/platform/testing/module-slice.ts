import type { AnyModule } from '../modules/define-module.ts';
import { stubModule, type StubMethod } from './stubs.ts';

export type Dependencies = 'stubbed' | 'real';

export interface ModuleSlice {
  /** The modules to build the app from: the one under test first. */
  readonly modules: readonly AnyModule[];
  /** Names of the modules that are stand-ins generated from contracts (no migrations of their own). */
  readonly stubbed: ReadonlySet<string>;
  /** The stand-ins' methods, by module and method. */
  readonly stubs: Readonly<Record<string, Readonly<Record<string, StubMethod<unknown, unknown>>>>>;
}

/**
 * What a one-module boot runs. `real`: the module and every module it depends on, transitively, and nothing else.
 * `stubbed`: the module, and a stub generated from the contract of each module it depends on.
 */
export function moduleSlice(all: readonly AnyModule[], name: string, dependencies: Dependencies): ModuleSlice {
  const byName = new Map(all.map((module) => [module.name, module]));
  const target = byName.get(name);
  if (!target) throw new Error(`No module "${name}": the modules are ${[...byName.keys()].join(', ')}`);
  if (dependencies === 'stubbed') {
    const generated = Object.keys(target.dependsOn).map((dependency) => ({ name: dependency, ...stubModule(byName.get(dependency)!) }));
    return {
      modules: [target, ...generated.map((stub) => stub.module)],
      stubbed: new Set(generated.map((stub) => stub.name)),
      stubs: Object.fromEntries(generated.map((stub) => [stub.name, stub.stubs])),
    };
  }
  const needed = new Set<string>();
  const visit = (module: string) => {
    if (needed.has(module)) return;
    needed.add(module);
    for (const dependency of Object.keys(byName.get(module)!.dependsOn)) visit(dependency);
  };
  visit(name);
  return { modules: [target, ...all.filter((module) => module !== target && needed.has(module.name))], stubbed: new Set(), stubs: {} };
}
