// The baseline of `npm run bench:http`: bare fastify + pg serving GET /catalog/products/:id from the same table, with
// the same SQL, connected as the same (super)user and with a pool as large as the app's module pool. No modules, no
// DI, no roles, no logger, no tracing: what a team would write by hand.
//
// For finding where the app's time goes, each piece the app adds can be switched on here alone (BARE_* below), so a
// variant measures "bare + that piece". Defaults give the plain baseline.
//
// Env: PORT, DATABASE_URL (required), DB_POOL_MAX (10)
//      BARE_LOGGER      off | warn | info   pino as the app builds it (src/platform/logger.ts), stdout
//      BARE_REQ_ID      1: genReqId randomUUID + x-request-id header + LogController as in src/app.ts
//      BARE_VALIDATOR   ajv (fastify's default) | typebox (src/platform/http/validator-compiler.ts) | none (no params schema)
//                       | typebox-check-first (a suggested fix: the compiled check first, Default/Convert only if it fails)
//      BARE_SERIALIZER  schema (fast-json-stringify from the response schema, default) | none (JSON.stringify)
//      BARE_AWILIX      1: @fastify/awilix as the app registers it (a scope created per request in onRequest)
//      BARE_CHILD_LOG   1: the app's per-module onRequest hook that makes request.log a child logger
//                       factory: a suggested fix, the module binding added by the scope's child logger factory instead
//      BARE_SWAGGER     1: @fastify/swagger + swagger-ui registered
//      BARE_JWT         1: @fastify/jwt registered (the read route does not verify tokens, as in the app)
//      BARE_ERRORS      1: the app's error and not-found handlers
//      BARE_KYSELY      plain | signal: the query through Kysely (PostgresDialect, or the app's commit-signalling dialect)
//                       | precompiled: a suggested fix, the commit-signalling dialect with the query compiled once
//      BARE_ROLE        <role>: pool connections take this role and search_path=catalog, as a module pool's do
//      BARE_ORDERS      1: also GET /orders/:id as a team would write it: @fastify/jwt's request.jwtVerify() in onRequest
//                       (JWT_SECRET, HS256), the order and its lines in two statements (the ordering module's), 404
//                       for another customer's order; the baseline of the authenticated read
//      BARE_METRICS     1: the app's request-duration histogram (OpenTelemetry, src/platform/telemetry/app-metrics.ts)
//                       recorded in an async onResponse hook, as src/platform/http/http-server.ts does
import { randomUUID } from 'node:crypto';
import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Meter } from '@opentelemetry/api';
import Type, { type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import Value from 'typebox/value';

const env = (name: string, fallback = '') => process.env[name] || fallback;
const DATABASE_URL = env('DATABASE_URL');
if (!DATABASE_URL) throw new Error('DATABASE_URL is required');
const PORT = Number(env('PORT', '0'));
const POOL_MAX = Number(env('DB_POOL_MAX', '10'));
const LOGGER = env('BARE_LOGGER', 'off');
const VALIDATOR = env('BARE_VALIDATOR', 'ajv');
const SERIALIZER = env('BARE_SERIALIZER', 'schema');
const KYSELY = env('BARE_KYSELY');
const ROLE = env('BARE_ROLE');

const ProductBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  sku: Type.String(),
  name: Type.String(),
  priceCents: Type.Integer(),
  currency: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
const ProductParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

/**
 * A suggested fix for src/platform/http/validator-compiler.ts: same results, but the compiled check runs first and
 * the interpreted Value.Default / Value.Convert passes only run when it fails or the schema has defaults to fill in.
 */
function checkFirstValidatorCompiler({ schema, httpPart }: { schema: TSchema; httpPart?: string }) {
  const checker = Compile(schema);
  const convert = httpPart !== 'body';
  const hasDefaults = JSON.stringify(schema).includes('"default":');
  return (input: unknown) => {
    if (!hasDefaults && checker.Check(input)) return { value: input };
    const withDefaults = Value.Default(schema, input);
    const value = convert ? Value.Convert(schema, withDefaults) : withDefaults;
    if (checker.Check(value)) return { value };
    return { error: checker.Errors(value) as never };
  };
}

// The statement Kysely compiles for the catalog's findById, with the schema named since this pool has no search_path.
const SQL = ROLE ? 'select * from "products" where "id" = $1' : 'select * from "catalog"."products" where "id" = $1';

// The statements the ordering module's findById sends.
const ORDER_SQL = 'select * from "ordering"."orders" where "id" = $1';
const LINES_SQL = 'select * from "ordering"."order_lines" where "order_id" = $1 order by "position"';

interface ProductRow {
  id: string;
  sku: string;
  name: string;
  price_cents: string;
  currency: string;
  created_at: Date;
  updated_at: Date;
}

const pool = new pg.Pool({
  connectionString: DATABASE_URL,
  max: POOL_MAX,
  application_name: 'seams:bench-bare',
  ...(ROLE ? { options: `-c role=${ROLE} -c search_path=catalog` } : {}),
});

let findById: (id: string) => Promise<ProductRow | undefined> = async (id) => (await pool.query<ProductRow>(SQL, [id])).rows[0];
let kysely: Kysely<{ products: ProductRow }> | undefined;
if (KYSELY) {
  const dialect =
    KYSELY === 'plain'
      ? new PostgresDialect({ pool })
      : (await import('../src/platform/events/commit-signalling-dialect.ts')).commitSignallingDialect(pool, () => undefined);
  const db = new Kysely<{ products: ProductRow }>({ dialect });
  kysely = db;
  const query = (id: string) => (ROLE ? db.selectFrom('products') : db.withSchema('catalog').selectFrom('products')).selectAll().where('id', '=', id);
  if (KYSELY === 'precompiled') {
    // Built and compiled once; each call only swaps the parameter.
    const compiled = query('00000000-0000-0000-0000-000000000000').compile();
    findById = async (id) => (await db.executeQuery<ProductRow>({ ...compiled, parameters: [id] })).rows[0];
  } else {
    // As the catalog's repository builds it: a fresh query builder per call.
    findById = (id) => query(id).executeTakeFirst();
  }
}

const logger = LOGGER === 'off' ? undefined : (await import('../src/platform/logger.ts')).createLogger(LOGGER as 'warn');
const app: FastifyInstance = fastify({
  ...(logger ? { loggerInstance: logger as FastifyBaseLogger } : {}),
  ...(env('BARE_REQ_ID') === '1'
    ? {
        genReqId: () => randomUUID(),
        requestIdHeader: 'x-request-id',
        logController: new LogController({ requestIdLogLabel: 'reqId', disableRequestLogging: (request) => request.url.startsWith('/health/') }),
      }
    : {}),
});
if (VALIDATOR === 'typebox') app.setValidatorCompiler((await import('../src/platform/http/validator-compiler.ts')).validatorCompiler as never);
if (VALIDATOR === 'typebox-check-first') app.setValidatorCompiler(checkFirstValidatorCompiler as never);
if (env('BARE_ERRORS') === '1') (await import('../src/platform/http/error-handler.ts')).installErrorHandling(app as never);
if (env('BARE_JWT') === '1') await app.register((await import('@fastify/jwt')).default, { secret: 'x'.repeat(32), sign: { algorithm: 'HS256' } });
if (env('BARE_AWILIX') === '1') {
  const { fastifyAwilixPlugin } = await import('@fastify/awilix');
  const { createContainer, InjectionMode } = await import('awilix');
  const container = createContainer({ injectionMode: InjectionMode.PROXY, strict: true });
  await app.register(fastifyAwilixPlugin, { container, disposeOnClose: true, disposeOnResponse: false, asyncInit: false, eagerInject: false });
}
if (env('BARE_SWAGGER') === '1') {
  await app.register((await import('@fastify/swagger')).default, { openapi: { info: { title: 'bare', version: '0' } } });
  await app.register((await import('@fastify/swagger-ui')).default, { routePrefix: '/docs' });
}

if (env('BARE_METRICS') === '1') {
  // Loaded only when asked: the metrics are newer than this benchmark.
  const { createAppMetrics } = (await import(new URL('../src/platform/telemetry/app-metrics.ts', import.meta.url).href)) as {
    createAppMetrics(options: { serviceName: string; otlpEndpoint: undefined }): { meter(scope: string): Meter };
  };
  const duration = createAppMetrics({ serviceName: 'bench-bare', otlpEndpoint: undefined })
    .meter('seams.http')
    .createHistogram('seams_http_request_duration_seconds', {
      advice: { explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] },
    });
  app.addHook('onResponse', async (request, reply) => {
    duration.record(reply.elapsedTime / 1000, { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });
}

app.get('/health/ready', async () => ({ status: 'ready' }));

if (env('BARE_ORDERS') === '1') {
  const secret = env('JWT_SECRET');
  if (!secret) throw new Error('BARE_ORDERS=1 needs JWT_SECRET');
  await app.register(async (scope) => {
    await scope.register((await import('@fastify/jwt')).default, { secret, verify: { algorithms: ['HS256'] } });
    const OrderBody = Type.Object({
      id: Type.String({ format: 'uuid' }),
      customerId: Type.String(),
      status: Type.String(),
      lines: Type.Array(Type.Object({ productId: Type.String({ format: 'uuid' }), quantity: Type.Integer(), unitPriceCents: Type.Integer() })),
      totalCents: Type.Integer(),
      currency: Type.String(),
      cancellationReason: Type.Optional(Type.String()),
      placedAt: Type.String({ format: 'date-time' }),
    });
    scope.get(
      '/orders/:id',
      {
        onRequest: async (request, reply) => {
          try {
            await request.jwtVerify();
          } catch {
            return reply.code(401).send({ status: 401, code: 'UNAUTHENTICATED' });
          }
        },
        schema: { params: ProductParams, response: { 200: OrderBody } },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        const { sub, roles } = request.user as { sub: string; roles?: string[] };
        const order = (await pool.query<Record<string, string & Date>>(ROLE ? ORDER_SQL.replaceAll('"ordering".', '') : ORDER_SQL, [id])).rows[0];
        if (!order || (order.customer_id !== sub && !roles?.includes('admin'))) return reply.code(404).send({ status: 404, code: 'ORDER_NOT_FOUND' });
        const lines = (await pool.query<Record<string, string>>(ROLE ? LINES_SQL.replaceAll('"ordering".', '') : LINES_SQL, [id])).rows;
        return {
          id: order.id,
          customerId: order.customer_id,
          status: order.status,
          lines: lines.map((line) => ({ productId: line.product_id, quantity: Number(line.quantity), unitPriceCents: Number(line.unit_price_cents) })),
          totalCents: Number(order.total_cents),
          currency: order.currency,
          ...(order.cancellation_reason ? { cancellationReason: order.cancellation_reason } : {}),
          placedAt: order.placed_at.toISOString(),
        };
      },
    );
  });
}

await app.register(async (scope) => {
  if (env('BARE_CHILD_LOG') === 'factory') {
    // One child per request (fastify's, with reqId) that also carries the module, instead of a second child in a hook.
    // No options object: pino's child() takes its fast path only when `options` is null/undefined.
    scope.setChildLoggerFactory((parent, bindings, options) =>
      parent.child({ ...bindings, module: 'catalog' }, Object.keys(options).length === 0 ? undefined : options),
    );
  }
  if (env('BARE_CHILD_LOG') === '1') {
    scope.addHook('onRequest', async (request, reply) => {
      request.log = request.log.child({ module: 'catalog' });
      reply.log = request.log;
    });
  }
  scope.get(
    '/catalog/products/:id',
    {
      schema: {
        ...(VALIDATOR === 'none' ? {} : { params: ProductParams }),
        ...(SERIALIZER === 'none' ? {} : { response: { 200: ProductBody } }),
      },
    },
    async (request, reply) => {
      const row = await findById((request.params as { id: string }).id);
      if (!row) return reply.code(404).send({ status: 404, code: 'PRODUCT_NOT_FOUND' });
      return {
        id: row.id,
        sku: row.sku,
        name: row.name,
        priceCents: Number(row.price_cents),
        currency: row.currency,
        createdAt: row.created_at.toISOString(),
        updatedAt: row.updated_at.toISOString(),
      };
    },
  );
});

let closing = false;
const close = async () => {
  if (closing) return;
  closing = true;
  await app.close();
  await (kysely ? kysely.destroy() : pool.end());
  process.exit(0);
};
process.on('SIGTERM', close);
process.on('SIGINT', close);

await app.listen({ port: PORT, host: '127.0.0.1' });
