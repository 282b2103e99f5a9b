/**
 * `npm run fuzz -- [--runs N] [--seed S]`: a long property-based fuzz of every route of the OpenAPI document
 * (test/fuzz/openapi.test.ts, the same one `npm test` runs briefly), on the test harness' database. Prints the seed it
 * uses first, and on a failure the seed and the command that replays it.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5000' }, seed: { type: 'string' } } });
const runs = Number(values.runs);
const seed = values.seed === undefined ? Math.floor(Math.random() * 0x7fffffff) : Number(values.seed);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  process.stderr.write('Usage: npm run fuzz -- [--runs N] [--seed S] (integers)\n');
  process.exit(64);
}
process.stdout.write(`fuzz: ${runs} requests, seed ${seed}\n`);
const result = spawnSync('npx', ['vitest', 'run', 'test/fuzz/openapi.test.ts'], { stdio: 'inherit', env: { ...process.env, FUZZ_RUNS: String(runs), FUZZ_SEED: String(seed) } });
if (result.status !== 0) process.stderr.write(`fuzz FAILED with seed ${seed}; replay: npm run fuzz -- --runs ${runs} --seed ${seed}\n`);
process.exit(result.status ?? 1);
