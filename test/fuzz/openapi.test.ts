import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TEST_JWT_SECRET, useApp } from '#testing';
import { fuzzProperty, operationsOf } from './openapi-fuzz.ts';

/** A short run in `npm test`; `npm run fuzz -- --runs N --seed S` sets these for a long one (scripts/fuzz.ts). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED === undefined ? Date.now() ^ (Math.random() * 0x100000000) : Number(process.env.FUZZ_SEED);

describe('every route of the OpenAPI document, fuzzed', () => {
  // No rate limit: the fuzz sends far more than a minute's worth from one address, and a 429 would test nothing.
  const app = useApp({ env: { RATE_LIMIT_PER_MINUTE: '0' } });

  it(`answers ${RUNS} valid, mutated and hostile requests without a 5xx (but a deliberate 503), every 4xx as problem+json, and is still ready`, async () => {
    const operations = await operationsOf(app.app);
    expect(operations.length, 'operations in /docs/json').toBeGreaterThanOrEqual(8);
    const result = await fc.check(fuzzProperty(app.app, operations, TEST_JWT_SECRET), { numRuns: RUNS, seed: SEED, endOnFailure: false });
    if (result.failed) {
      const replay = `npm run fuzz -- --runs ${RUNS} --seed ${result.seed}`;
      const message = `fuzz failed (seed ${result.seed}, path ${result.counterexamplePath}); replay with: ${replay}\n${String(result.errorInstance ?? '')}\n${fc.stringify(result.counterexample)}`;
      process.stderr.write(`${message}\n`);
      expect.fail(message);
    }
    process.stdout.write(`fuzz: ${result.numRuns} requests over ${operations.length} operations, seed ${result.seed}\n`);
    const ready = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode, ready.body).toBe(200);
  }, Math.max(60_000, RUNS * 200));
});
