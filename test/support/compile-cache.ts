import { enableCompileCache } from 'node:module';
import path from 'node:path';

/**
 * Turns on Node's compile cache (the V8 code of every module it loads, TypeScript stripped) for this process and, by
 * NODE_COMPILE_CACHE, for every node process started from it: vitest's workers (their node_modules) and the scripts,
 * apps, npm, tsc and eslint that the tests start, which load the same files dozens of times a run and each load them
 * 10-30 % faster from the cache. It lives in node_modules, so a copy of the project that links node_modules shares it.
 * A cache that cannot be written is skipped by Node without a word.
 */
export function useNodeCompileCache(projectRoot: string): void {
  process.env.NODE_COMPILE_CACHE ??= path.join(projectRoot, 'node_modules/.cache/node-compile-cache');
  enableCompileCache(process.env.NODE_COMPILE_CACHE);
}
