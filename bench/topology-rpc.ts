// The RPC phase of `npm run bench:topology`: the latency of one contract call, `catalog.getProducts`, made by a module
// of this process (a) to the catalog in the same process and (b) to the catalog in another process over HTTP on
// loopback (bench/topology-catalog-server.ts, reached through REMOTE_MODULES). Both are the call a consumer
// makes: through the container's traced wrapper, the same ids, the same SQL; (b) adds the generated client (input and
// output validation, JSON, fetch with keep-alive), the network hop and the contract server.
//
// Closed loop, one call at a time, no telemetry SDK on either side. After WARMUP calls each, ROUNDS rounds alternate
// in-process and remote with N/ROUNDS calls each, so a neighbour's burst on a shared machine lands on both; p50/p99
// are over all N calls of each side. The module list is the catalog and the caller only: with the shop's read model
// in the list, the catalog's events would cross processes and need NATS, which the call under test does not touch.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AwilixContainer } from 'awilix';
import { buildApp } from '../src/app.ts';
import { modules as shopModules } from '../src/modules.ts';
import { loadConfig } from '#platform/config.ts';
import type { Logger } from '#platform/logger.ts';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import { defineModule } from '#platform/modules/define-module.ts';
import type { CatalogApi } from '../modules/catalog/contract.ts';
import { freePort, signToken, startChild } from './http-support.ts';
import { percentile } from './support/stats.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CALLER = 'bench-caller';

/** A module that does nothing but hold the catalog API the way a consumer gets it. */
const callerModule = defineModule({
  name: CALLER,
  owners: ['@seams/bench'],
  dependsOn: { catalog: 'the benchmark calls it' },
  register: { caller: ({ catalogApi }: { catalogApi: CatalogApi }) => catalogApi },
});
const modules = [...shopModules.filter((module) => module.name === 'catalog'), callerModule];

export interface RpcBenchOptions {
  /** An empty database (its module schemas and roles are made here). */
  readonly databaseUrl: string;
  /** Calls measured per side. */
  readonly n: number;
  readonly warmup: number;
  readonly rounds: number;
  /** Product ids per call (an order with this many lines). */
  readonly idsPerCall: number;
  readonly logger: Logger;
}

export interface LatencySummary {
  readonly n: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
}

export interface RpcBenchResult {
  readonly inProcess: LatencySummary;
  readonly overHttp: LatencySummary;
  /** overHttp / inProcess. */
  readonly ratio: { readonly p50: number; readonly p99: number };
}

export async function benchRpc(options: RpcBenchOptions): Promise<RpcBenchResult> {
  const secret = 'bench-topology-secret-of-at-least-32-characters';
  const serviceToken = 'bench-topology-service-token-of-32-characters';
  const env = { LOG_LEVEL: 'warn', JWT_SECRET: secret, SERVICE_TOKEN: serviceToken };
  const build = (extra: Record<string, string>) =>
    buildApp({ config: loadConfig({ ...env, ...extra }, modules.map((module) => module.name)), logger: options.logger, modules, databaseUrl: options.databaseUrl });

  const port = await freePort();
  const server = await startChild({
    name: 'catalog server',
    args: [path.join(ROOT, 'bench/topology-catalog-server.ts')],
    env: { ...env, DATABASE_URL: options.databaseUrl, MODULES: 'catalog', PORT: String(port), HOST: '127.0.0.1', OTEL_SDK_DISABLED: 'true' },
    port,
    readyPath: '/health/ready',
  });
  const apps: ModuleRouter[] = [];
  try {
    // One after the other: apps that run the same module provision its schema and role.
    const local = await build({ MODULES: `catalog,${CALLER}` });
    apps.push(local);
    const remote = await build({ MODULES: CALLER, REMOTE_MODULES: `catalog=${server.url}` });
    apps.push(remote);

    const admin = { authorization: `Bearer ${signToken(secret, 'bench-admin', ['admin'])}` };
    const ids: string[] = [];
    for (let i = 0; i < options.idsPerCall; i++) {
      const created = await local.inject({ method: 'POST', url: '/catalog/products', headers: admin, payload: { sku: `RPC-${i}-${Date.now()}`, name: `Bench ${i}`, priceCents: 100 + i, currency: 'EUR' } });
      if (created.statusCode !== 201) throw new Error(`creating a product failed: ${created.statusCode} ${created.body}`);
      ids.push(created.json<{ id: string }>().id);
    }
    const callerOf = (app: ModuleRouter) => (app as unknown as { diContainer: AwilixContainer }).diContainer.resolve<CatalogApi>(`${CALLER}/caller`);
    const sides = { inProcess: callerOf(local), overHttp: callerOf(remote) };

    const once = async (api: CatalogApi): Promise<number> => {
      const started = performance.now();
      const { products } = await api.getProducts({ ids });
      const elapsed = performance.now() - started;
      if (products.length !== ids.length) throw new Error(`getProducts returned ${products.length} of ${ids.length} products`);
      return elapsed;
    };
    for (const api of Object.values(sides)) for (let i = 0; i < options.warmup; i++) await once(api);

    const samples = { inProcess: [] as number[], overHttp: [] as number[] };
    const perRound = Math.ceil(options.n / options.rounds);
    for (let round = 0; round < options.rounds; round++) {
      // Alternate which side goes first, so neither always follows the other's garbage.
      const order = round % 2 === 0 ? (['inProcess', 'overHttp'] as const) : (['overHttp', 'inProcess'] as const);
      for (const side of order) for (let i = 0; i < perRound && samples[side].length < options.n; i++) samples[side].push(await once(sides[side]));
    }
    const inProcess = summarize(samples.inProcess);
    const overHttp = summarize(samples.overHttp);
    return { inProcess, overHttp, ratio: { p50: overHttp.p50Ms / inProcess.p50Ms, p99: overHttp.p99Ms / inProcess.p99Ms } };
  } finally {
    for (const app of apps.reverse()) await app.close();
    await server.stop();
  }
}

/** n, nearest-rank p50/p99 and mean of the samples (ms). */
export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), meanMs: sorted.reduce((sum, x) => sum + x, 0) / sorted.length };
}
