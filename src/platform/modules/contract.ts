import type { Static, TSchema } from 'typebox';
import type { EventDefinition } from '../events/event-definition.ts';

/**
 * One method of a module's public API. Input and output are plain JSON described by TypeBox, so the same method can
 * be served over HTTP after extraction without changing its callers.
 */
export interface ContractMethod<I extends TSchema = TSchema, O extends TSchema = TSchema> {
  readonly input: I;
  readonly output: O;
  /** One line for the generated module docs. */
  readonly description: string;
  /** Safe to retry on a timeout: calling twice has the effect of calling once. Remote clients retry only these. */
  readonly idempotent: boolean;
}

/**
 * A module's public surface: its API methods and the events it publishes (each in its newest version; older versions
 * are reached through the newer one's `from`). Declared in the module's `contract.ts`, the only file other modules
 * import.
 */
export interface Contract<
  M extends Record<string, ContractMethod> = Record<string, ContractMethod>,
  E extends Record<string, EventDefinition> = Record<string, EventDefinition>,
> {
  readonly module: string;
  readonly methods: M;
  readonly events: E;
}

/** The TypeScript interface a contract describes: every method async, one JSON input, one JSON output. */
export type ContractApi<C extends Contract> = {
  [K in keyof C['methods']]: (input: Static<C['methods'][K]['input']>) => Promise<Static<C['methods'][K]['output']>>;
};

export function defineContract<const M extends Record<string, ContractMethod>, const E extends Record<string, EventDefinition> = Record<never, never>>(contract: {
  module: string;
  methods: M;
  events?: E;
}): Contract<M, E> {
  const events = (contract.events ?? {}) as E;
  const names = new Set<string>();
  for (const event of Object.values(events)) {
    if (!event.name.startsWith(`${contract.module}.`)) throw new Error(`Contract of "${contract.module}" declares event ${event.name}, which belongs to another module`);
    // The newest version is what the module publishes; the older ones hang off it (`from`), with their casters.
    if (names.has(event.name)) throw new Error(`Contract of "${contract.module}" lists ${event.name} twice: list only its newest version; older ones are reached through \`from\``);
    names.add(event.name);
  }
  return { module: contract.module, methods: contract.methods, events };
}

/** The name under which a module's API is resolved by the modules that declared a dependency on it: `catalogApi`. */
export function apiDependencyName(module: string): string {
  return `${camelCase(module)}Api`;
}

export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}
