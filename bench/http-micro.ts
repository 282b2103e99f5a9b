// Per-request costs of the pieces the app adds around a product read, measured in isolation (no network, no
// database): CPU time per operation, so the numbers hold on a busy shared machine where req/s wobble. Run by
// bench/http.ts (MICRO=1) or alone: `node bench/http-micro.ts`. Each line is a suspect from the HTTP comparison, next
// to the suggested fix where there is one.
//
// Env: MICRO_ITERATIONS (50000 per round; 5 rounds, median)
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createContainer, InjectionMode, asFunction } from 'awilix';
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import type pg from 'pg';
import type { Meter } from '@opentelemetry/api';
import Type, { type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import Value from 'typebox/value';
import { createLogger } from '#platform/logger.ts';
import { validatorCompiler } from '#platform/http/validator-compiler.ts';
import { commitSignallingDialect } from '#platform/events/commit-signalling-dialect.ts';
import { f2, table } from './http-support.ts';

const ITERATIONS = Number(process.env.MICRO_ITERATIONS || 50_000);
const ROUNDS = 5;

/** CPU ns per call (user + system), median of ROUNDS rounds after a warm-up round. */
async function measure(run: (i: number) => unknown): Promise<number> {
  const round = async () => {
    const before = process.cpuUsage();
    for (let i = 0; i < ITERATIONS; i++) {
      const result = run(i);
      if (result instanceof Promise) await result;
    }
    const used = process.cpuUsage(before);
    return ((used.user + used.system) * 1000) / ITERATIONS;
  };
  await round();
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) samples.push(await round());
  samples.sort((a, b) => a - b);
  return samples[ROUNDS >> 1]!;
}

const ProductParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const ID = '3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60';
const ROW = {
  id: ID,
  sku: 'bench-read-1',
  name: 'Benchmark product',
  price_cents: '1234',
  currency: 'EUR',
  created_at: new Date(),
  updated_at: new Date(),
};

/** A pg.Pool stand-in answering every query at once with one row: what is left is the caller's own work. */
function fakePool(): pg.Pool {
  const client = {
    processID: 1,
    query: (_sql: string, _params: unknown[]) => Promise.resolve({ command: 'SELECT', rowCount: 1, rows: [ROW] }),
    release: () => undefined,
  };
  return { connect: () => Promise.resolve(client), end: () => Promise.resolve() } as unknown as pg.Pool;
}

/** The suggested validator fix (also in bench/http-bare-server.ts): compiled check first. */
function checkFirst(schema: TSchema, httpPart: string) {
  const checker = Compile(schema);
  const convert = httpPart !== 'body';
  const hasDefaults = JSON.stringify(schema).includes('"default":');
  return (input: unknown) => {
    if (!hasDefaults && checker.Check(input)) return { value: input };
    const withDefaults = Value.Default(schema, input);
    const value = convert ? Value.Convert(schema, withDefaults) : withDefaults;
    return checker.Check(value) ? { value } : { error: [...checker.Errors(value)] };
  };
}

interface Row {
  readonly suspect: string;
  readonly where: string;
  readonly perRequest: number;
  readonly ns: number;
}

export async function runMicro(): Promise<string> {
  const rows: Row[] = [];
  const add = async (suspect: string, where: string, perRequest: number, run: (i: number) => unknown) =>
    rows.push({ suspect, where, perRequest, ns: await measure(run) });

  // --- DI: @fastify/awilix creates a scope in onRequest for every request; no route uses request.diScope.
  const container = createContainer({ injectionMode: InjectionMode.PROXY, strict: true });
  for (let i = 0; i < 30; i++) container.register(`catalog/thing${i}`, asFunction(() => ({ i })).singleton());
  await add('awilix createScope() per request', 'src/app.ts: app.register(fastifyAwilixPlugin)', 1, () => container.createScope());

  // --- logging at warn: fastify's per-request child (it passes `{}` as options: pino's slow path) + the module hook's
  // second child; the fix makes one child with both bindings through the scope's child logger factory.
  const logger = createLogger('warn');
  await add('pino: fastify child {reqId} with {} options', 'fastify default childLoggerFactory', 1, (i) => logger.child({ reqId: i }, {}));
  await add('pino: + module child in onRequest hook', 'src/app.ts: scope.addHook(onRequest) request.log.child', 1, (i) =>
    logger.child({ reqId: i }, {}).child({ module: 'catalog' }),
  );
  await add('  fix: one child {reqId, module}, no options', 'scope.setChildLoggerFactory', 1, (i) => logger.child({ reqId: i, module: 'catalog' }));
  await add('randomUUID request id', 'genReqId', 1, () => randomUUID());

  // --- validation of :id
  const validate = validatorCompiler({ schema: ProductParams, httpPart: 'params', method: 'GET', url: '/x' } as never) as (input: unknown) => unknown;
  await add('TypeBox validator (Default + Convert + Check)', 'src/platform/http/validator-compiler.ts:14', 1, () => validate({ id: ID }));
  const fast = checkFirst(ProductParams, 'params');
  await add('  fix: compiled Check first', 'same file', 1, () => fast({ id: ID }));

  // --- the query: Kysely builder + compile per call, the commit-signalling driver, vs a query compiled once
  const plainPool = fakePool();
  await add('baseline: pool.connect + query + release (fake pg)', 'what bare fastify + pg does', 1, async () => {
    const client = await plainPool.connect();
    try {
      return (await client.query('select * from "products" where "id" = $1', [ID])).rows[0];
    } finally {
      client.release();
    }
  });
  const plain = new Kysely<{ products: typeof ROW }>({ dialect: new PostgresDialect({ pool: fakePool() }) });
  await add('Kysely build + compile only', 'modules/catalog/infrastructure/products-repository.ts:33', 1, () =>
    plain.selectFrom('products').selectAll().where('id', '=', ID).compile(),
  );
  await add('Kysely build + compile + execute (PostgresDialect)', 'same', 1, () => plain.selectFrom('products').selectAll().where('id', '=', ID).executeTakeFirst());
  const signalling = new Kysely<{ products: typeof ROW }>({ dialect: commitSignallingDialect(fakePool(), () => undefined) });
  await add('Kysely build + compile + execute (commit-signalling dialect)', 'src/platform/events/commit-signalling-dialect.ts:37', 1, () =>
    signalling.selectFrom('products').selectAll().where('id', '=', ID).executeTakeFirst(),
  );
  const compiled: CompiledQuery = signalling.selectFrom('products').selectAll().where('id', '=', ID).compile();
  await add('  fix: compiled once, executeQuery (commit-signalling)', 'products-repository.ts findById', 1, (i) =>
    signalling.executeQuery({ ...compiled, parameters: [i % 2 ? ID : ID] }),
  );

  // --- the request-duration histogram (src/platform/http/http-server.ts), where the app has one
  const metricsFile = new URL('../src/platform/telemetry/app-metrics.ts', import.meta.url);
  if (existsSync(metricsFile)) {
    // Loaded only where it exists: the metrics are newer than this benchmark.
    const { createAppMetrics } = (await import(metricsFile.href)) as {
      createAppMetrics(options: { serviceName: string; otlpEndpoint: undefined }): {
        meter(scope: string): Meter;
        shutdown(): Promise<void>;
      };
    };
    const metrics = createAppMetrics({ serviceName: 'bench', otlpEndpoint: undefined });
    const histogram = metrics.meter('seams.http').createHistogram('seams_http_request_duration_seconds', {
      advice: { explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] },
    });
    await add('OTel histogram.record with 3 attributes', 'src/platform/http/http-server.ts onResponse', 1, (i) =>
      histogram.record((i % 100) / 10_000, { method: 'GET', route: '/catalog/products/:id', status: '200' }),
    );
    await metrics.shutdown();
  }

  return table(
    ['piece (per request)', 'CPU us/op', 'where'],
    rows.map((row) => [row.suspect, f2((row.ns * row.perRequest) / 1000), row.where]),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`CPU time per operation, median of ${ROUNDS} x ${ITERATIONS} (node ${process.version})`);
  console.log(await runMicro());
}
