import type { Kysely } from 'kysely';
import Type, { type Static } from 'typebox';
import { AppError, NotFoundError } from '../errors.ts';
import { schemaName } from '../db/database-names.ts';
import { adminOnly } from '../http/auth.ts';
import type { ModuleRouter } from '../http/module-router.ts';
import { ProblemSchema } from '../http/problem.ts';
import type { TraceSource } from '../telemetry/trace-buffer.ts';
import { moduleDetails, type OpenApiDocument } from './module-details.ts';
import { moduleTables } from '../db/schema-tables.ts';
import type { RouteOwners } from './route-owners.ts';
import type { SignInCode } from './sign-in-code.ts';
import { systemView, type SystemFacts } from './system-view.ts';
import { listTraces, traceSpans } from './trace-view.ts';

const tags = ['admin: console'];
const errors = { 401: ProblemSchema, 403: ProblemSchema };
/** The console's pages render these as they come; their shapes are described in docs/console.md. */
const Json = Type.Unknown();

export interface ConsoleApiOptions extends SystemFacts {
  readonly routeOwners: RouteOwners;
  /** The platform's connection to the database a local module lives in; undefined for a module elsewhere. */
  readonly platformDbOf: (module: string) => Kysely<unknown> | undefined;
  /** This process's trace buffer; undefined when the SDK is off or CONSOLE_TRACE_BUFFER=0. */
  readonly traces: TraceSource | undefined;
  /** CONSOLE_TRACE_URL, with `{traceId}`. */
  readonly traceUrl: string | undefined;
  /** The embedded development database's one-time sign-in code; absent with DATABASE_URL. */
  readonly signInCode: SignInCode | undefined;
  readonly serviceName: string;
}

const SpanBody = Type.Object({
  traceId: Type.String(),
  spanId: Type.String(),
  parentSpanId: Type.Optional(Type.String()),
  name: Type.String(),
  kind: Type.String(),
  startMs: Type.Number(),
  durationMs: Type.Number(),
  status: Type.String(),
  statusMessage: Type.Optional(Type.String()),
  attributes: Type.Record(Type.String(), Type.Unknown()),
  service: Type.String(),
  module: Type.Optional(Type.String()),
  events: Type.Array(Type.Object({ name: Type.String(), timeMs: Type.Number(), attributes: Type.Record(Type.String(), Type.Unknown()) })),
});

const TraceEntry = Type.Object({
  traceId: Type.String(),
  name: Type.String(),
  route: Type.Optional(Type.String()),
  method: Type.Optional(Type.String()),
  statusCode: Type.Optional(Type.Integer()),
  error: Type.Boolean(),
  startMs: Type.Number(),
  durationMs: Type.Number(),
  spanCount: Type.Integer(),
  modules: Type.Array(Type.String()),
});

/**
 * The console's JSON API, beside the event admin API it also uses (subscriptions, dead letters, replay, discard).
 * Everything but the one-time sign-in needs the admin role. No business words: it describes whatever modules it is given.
 */
export function consoleRoutes(app: ModuleRouter, options: ConsoleApiOptions): void {
  const onRequest = adminOnly;
  const byName = new Map(options.modules.map((module) => [module.name, module]));

  app.get(
    '/admin/console/system',
    {
      onRequest,
      schema: {
        tags,
        description: 'The module map: every module with its owners, description, dependencies with reasons, events and placement; every event flow.',
        response: {
          200: Type.Object({
            service: Type.String(),
            local: Type.Array(Type.String()),
            traces: Type.Object({ capacity: Type.Integer(), url: Type.Union([Type.String(), Type.Null()]) }),
            modules: Json,
            flows: Json,
          }),
          ...errors,
        },
      },
    },
    async () => ({
      service: options.serviceName,
      local: [...options.local],
      traces: { capacity: options.traces?.capacity ?? 0, url: options.traceUrl ?? null },
      ...systemView(options),
    }),
  );

  app.get(
    '/admin/console/modules/:name',
    {
      onRequest,
      schema: {
        tags,
        description: "A module's contract methods with their schemas, HTTP routes (from the OpenAPI document), events with their schemas, tables and dependants.",
        params: Type.Object({ name: Type.String({ pattern: '^[a-z][a-z0-9-]*$', maxLength: 100 }) }),
        response: { 200: Json, 400: ProblemSchema, 404: ProblemSchema, ...errors },
      },
    },
    async (request) => {
      const module = byName.get(request.params.name);
      if (!module) throw new NotFoundError('MODULE_NOT_FOUND', `No module ${request.params.name}`);
      const db = options.local.includes(module.name) ? options.platformDbOf(module.name) : undefined;
      const view = systemView(options).modules.find((candidate) => candidate.name === module.name)!;
      return moduleDetails(module, {
        view,
        all: options.modules,
        routes: options.routeOwners.routesOf(module.name),
        openapi: (app as unknown as { swagger(): OpenApiDocument }).swagger(),
        tables: db ? await moduleTables(db, schemaName(module.name)) : null,
      });
    },
  );

  app.get(
    '/admin/console/traces',
    {
      onRequest,
      schema: {
        tags,
        description: 'The traces in this process\'s buffer, newest first, filtered by route, status and duration.',
        querystring: Type.Object(
          {
            route: Type.Optional(Type.String({ maxLength: 200 })),
            status: Type.Optional(Type.String({ pattern: '^(ok|error|[1-5]xx|[1-5][0-9][0-9])$' })),
            minDurationMs: Type.Optional(Type.Number({ minimum: 0 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ capacity: Type.Integer(), traces: Type.Array(TraceEntry) }), 400: ProblemSchema, ...errors },
      },
    },
    async (request) => ({
      capacity: options.traces?.capacity ?? 0,
      traces: options.traces ? listTraces(options.traces, options.routeOwners, request.query) : [],
    }),
  );

  app.get(
    '/admin/console/traces/:traceId',
    {
      onRequest,
      schema: {
        tags,
        description: 'One trace as a waterfall: its spans, parents before children, with attributes and the module of each.',
        params: Type.Object({ traceId: Type.String({ pattern: '^[0-9a-f]{32}$' }) }),
        response: { 200: Type.Object({ traceId: Type.String(), link: Type.Union([Type.String(), Type.Null()]), spans: Type.Array(SpanBody) }), 400: ProblemSchema, 404: ProblemSchema, ...errors },
      },
    },
    async (request) => {
      const spans = options.traces && traceSpans(options.traces, options.routeOwners, request.params.traceId);
      if (!spans) throw new NotFoundError('TRACE_NOT_FOUND', `Trace ${request.params.traceId} is not in this process's buffer (it keeps the last ${options.traces?.capacity ?? 0})`);
      // The buffer's read-only arrays are what the schema describes; only their mutability differs.
      return { traceId: request.params.traceId, link: options.traceUrl?.replaceAll('{traceId}', request.params.traceId) ?? null, spans: spans as Array<Static<typeof SpanBody>> };
    },
  );

  app.post(
    '/admin/console/sign-in',
    {
      schema: {
        tags,
        description: 'Exchanges the one-time code of the start-up link (embedded development database only) for an admin token.',
        body: Type.Object({ code: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ token: Type.String() }), 400: ProblemSchema, 401: ProblemSchema },
      },
    },
    async (request) => {
      if (!options.signInCode?.redeem(request.body.code)) {
        throw new AppError('unauthenticated', 'SIGN_IN_CODE_INVALID', 'This sign-in code is wrong or has been used; paste an admin token instead');
      }
      return { token: app.jwt.sign({ sub: 'local-admin', roles: ['admin'] }, { expiresIn: '12h' }) };
    },
  );
}
