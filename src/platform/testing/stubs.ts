import type { Static } from 'typebox';
import type { Contract } from '../modules/contract.ts';
import { defineModule, type AnyModule } from '../modules/define-module.ts';

/** A call to a stubbed method that the test did not script. The message names the method and what it was given. */
export class UnscriptedCallError extends Error {
  override name = 'UnscriptedCallError';
}

/** One method of a stubbed module's API: scripted by the test, and recording what it was called with. */
export interface StubMethod<I, O> {
  /** Every call answers `output`. */
  returns(output: O): void;
  /** Every call answers what `answer` returns for its input (or throws what it throws). */
  answers(answer: (input: I) => O | Promise<O>): void;
  /** What each call was given, oldest first. */
  readonly calls: readonly I[];
  /** Forgets the script and the calls. */
  reset(): void;
}

/** A module's API as stubs, one per method of its contract. */
export type StubApi<C extends Contract> = {
  readonly [K in keyof C['methods']]: StubMethod<Static<C['methods'][K]['input']>, Static<C['methods'][K]['output']>>;
};

function stubMethod(module: string, method: string): StubMethod<unknown, unknown> & { call(input: unknown): Promise<unknown> } {
  let answer: ((input: unknown) => unknown) | undefined;
  const calls: unknown[] = [];
  return {
    returns: (output) => void (answer = () => output),
    answers: (fn) => void (answer = fn),
    calls,
    reset() {
      answer = undefined;
      calls.length = 0;
    },
    async call(input) {
      calls.push(input);
      if (!answer) {
        throw new UnscriptedCallError(
          `${module}.${method} was called with ${JSON.stringify(input)}, but the test did not script it: ` +
            `use stubs.${module}.${method}.returns(…) or .answers((input) => …) before the call`,
        );
      }
      return answer(input);
    },
  };
}

/**
 * A stand-in for `module` generated from its contract: the same name and contract, an API whose every method is a
 * {@link StubMethod}, no routes, subscriptions or migrations of its own. Its schema gets only the event bus's tables,
 * so that events "from" it can be injected into its subscribers' path through its real outbox.
 */
export function stubModule(module: AnyModule): { module: AnyModule; stubs: Record<string, StubMethod<unknown, unknown>> } {
  const contract = module.contract as Contract | undefined;
  const methods = Object.fromEntries(Object.keys(contract?.methods ?? {}).map((method) => [method, stubMethod(module.name, method)]));
  const api = Object.fromEntries(Object.entries(methods).map(([method, stub]) => [method, (input: unknown) => stub.call(input)]));
  const stub = defineModule({
    name: module.name,
    owners: module.owners,
    dependsOn: {},
    ...(contract ? { contract, api: () => api as never } : {}),
  });
  return { module: stub, stubs: methods };
}
