// Topology benchmark: `npm run bench:topology`. The price of a network hop, in numbers (issue 7).
//
//   rpc     one contract call (catalog.getProducts, IDS ids) in process against over HTTP on loopback: p50/p99 and
//           their ratio (bench/topology-rpc.ts has the method)
//
// Env: DATABASE_URL (a server where we may create databases and roles; a fresh database is made and dropped; unset:
//      an embedded PostgreSQL with its data in .data/bench-postgres)
//      N (2000 calls per side) WARMUP (200 per side) ROUNDS (10) IDS (3) JSON_OUT (file for the numbers)
//      BENCH_LOG_LEVEL (warn)
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { createLogger } from '#platform/logger.ts';
import { stopAllChildren } from './http-support.ts';
import { describeServer, openServer } from './support/server.ts';
import { f2, table } from './support/stats.ts';
import { benchRpc } from './topology-rpc.ts';

const env = (name: string, fallback: string) => (process.env[name] === undefined || process.env[name] === '' ? fallback : process.env[name]!);
const CFG = {
  n: Number(env('N', '2000')),
  warmup: Number(env('WARMUP', '200')),
  rounds: Number(env('ROUNDS', '10')),
  ids: Number(env('IDS', '3')),
  jsonOut: env('JSON_OUT', ''),
};

async function main(): Promise<void> {
  const logger = createLogger(env('BENCH_LOG_LEVEL', 'warn') as 'warn');
  const server = await openServer(process.env.DATABASE_URL, logger);
  try {
    const facts = await describeServer(server.url);
    console.log(
      `bench:topology  node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; ` +
        `PostgreSQL ${facts.version}${server.embedded ? ' (embedded)' : ''}, fsync=${facts.fsync}, synchronous_commit=${facts.synchronousCommit}`,
    );
    console.log(`rpc: catalog.getProducts with ${CFG.ids} ids, ${CFG.n} calls per side after ${CFG.warmup} warm-up, ${CFG.rounds} alternating rounds, one at a time\n`);

    const database = await server.freshDatabase();
    const rpc = await benchRpc({ databaseUrl: database.url, n: CFG.n, warmup: CFG.warmup, rounds: CFG.rounds, idsPerCall: CFG.ids, logger }).finally(() => database.drop());
    console.log(
      table(
        ['catalog.getProducts', 'calls', 'p50 ms', 'p99 ms', 'mean ms'],
        [
          ['in process', String(rpc.inProcess.n), f2(rpc.inProcess.p50Ms), f2(rpc.inProcess.p99Ms), f2(rpc.inProcess.meanMs)],
          ['over HTTP (loopback)', String(rpc.overHttp.n), f2(rpc.overHttp.p50Ms), f2(rpc.overHttp.p99Ms), f2(rpc.overHttp.meanMs)],
          ['ratio HTTP / in process', '', `${f2(rpc.ratio.p50)}x`, `${f2(rpc.ratio.p99)}x`, `${f2(rpc.overHttp.meanMs / rpc.inProcess.meanMs)}x`],
        ],
      ),
    );
    console.log(`\nload after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    if (CFG.jsonOut) writeFileSync(CFG.jsonOut, JSON.stringify({ config: CFG, rpc }, null, 2));
  } finally {
    await stopAllChildren();
    await server.close();
  }
}

await main();
