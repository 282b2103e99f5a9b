import type { Compilable, CompiledQuery } from 'kysely';

/**
 * A query built and compiled once, for the hot path: each call only swaps in its parameters. Building and compiling
 * a Kysely query costs a cheap primary-key read several microseconds on every call (docs/benchmarks-history.md,
 * "Where the read's gap goes"); run the result with `db.executeQuery(query(id))`. The query is built with
 * placeholder values, and the parameters of a call must come in the same order as the builder's.
 */
export function compileOnce<R>(query: Compilable<R>): (...parameters: readonly unknown[]) => CompiledQuery<R> {
  const compiled = query.compile();
  return (...parameters) => {
    if (parameters.length !== compiled.parameters.length) {
      throw new Error(`compileOnce: ${compiled.parameters.length} parameters expected, got ${parameters.length}: ${compiled.sql}`);
    }
    return { ...compiled, parameters };
  };
}
