import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ModuleRouter } from './module-router.ts';
import { isDatabaseUnavailable } from '../db/database-unavailable.ts';
import { AppError, type AppErrorKind } from '../errors.ts';
import { PROBLEM_CONTENT_TYPE, problem, type Problem } from './problem.ts';
import { trackRouteMethods } from './route-methods.ts';

/** The HTTP status of each kind of {@link AppError}; remote clients map statuses back through it. */
export const STATUS_BY_KIND: Record<AppErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
};

/** The code of a 503 answered because the database could not be reached (refused, reset, shutting down, pool timeout). */
export const DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE';
/** Seconds a client should wait before trying again; outages are noticed to end within about a second. */
const RETRY_AFTER_S = 2;

/**
 * Every error leaves as `application/problem+json` with a stable `code`. Client errors say what was wrong; anything
 * unexpected is a 500 that tells the client nothing but the request id, and is logged in full with that id.
 */
export function installErrorHandling(app: ModuleRouter): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isDatabaseUnavailable(error)) {
      // Temporary, and already told once for the whole outage (DatabaseAvailability): one line per request would bury it.
      request.log.debug({ err: error }, 'request failed: database unavailable');
      reply.header('retry-after', String(RETRY_AFTER_S));
      return sendProblem(reply, {
        ...problem(503, DATABASE_UNAVAILABLE, 'The database is unavailable right now; nothing was changed. Try again shortly.'),
        instance: request.url,
        requestId: request.id,
      });
    }
    const body = toProblem(error, request);
    if (body.status >= 500) request.log.error({ err: error }, 'request failed');
    // The reason of a refused token (expired, signature, ...): what tells one kind of 401 from another on a dashboard.
    else request.log.info({ code: body.code, status: body.status, ...(body.reason === undefined ? {} : { reason: body.reason }) }, 'request rejected');
    return sendProblem(reply, body);
  });

  const methodsOf = trackRouteMethods(app);
  app.setNotFoundHandler((request, reply) => {
    const context = { instance: request.url, requestId: request.id };
    const path = request.url.split('?')[0]!;
    const allowed = methodsOf(path);
    if (allowed.length > 0) {
      const detail = `${path} does not take ${request.method}; it takes ${allowed.join(', ')}`;
      return sendProblem(reply.header('allow', allowed.join(', ')), { ...problem(405, 'METHOD_NOT_ALLOWED', detail), ...context });
    }
    return sendProblem(reply, { ...problem(404, 'ROUTE_NOT_FOUND', `No route ${request.method} ${request.url}`), ...context });
  });
}

/** What failed validation, in words: fastify names it `body`, `params`, `querystring` or `headers`. */
const VALIDATION_SUBJECTS: Record<string, string> = {
  body: 'The request body is invalid',
  params: 'The path parameters are invalid',
  querystring: 'The query string is invalid',
  headers: 'The request headers are invalid',
};

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

function toProblem(error: FastifyError, request: FastifyRequest): Problem {
  const context = { instance: request.url, requestId: request.id };
  if (error instanceof AppError) {
    return { ...problem(STATUS_BY_KIND[error.kind], error.code, error.message, error.details as Record<string, unknown> | undefined), ...context };
  }
  if (error.validation) {
    const errors = uniqueByField(
      error.validation.map((issue) => ({
        field: fieldOf(error.validationContext, issue.instancePath, issue.params),
        message: issue.message ?? 'is invalid',
      })),
    );
    const detail = VALIDATION_SUBJECTS[error.validationContext ?? ''] ?? 'The request is invalid';
    return { ...problem(400, 'VALIDATION_FAILED', detail, { errors }), ...context };
  }
  if (isDataException(error)) {
    // A value the schema let through but Postgres cannot store (a NUL character, a number out of a column's range):
    // the client's input, so a 400, without the database's message.
    return { ...problem(400, 'INVALID_VALUE', 'A value in the request cannot be stored'), ...context };
  }
  const status = error.statusCode ?? 500;
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const sent = request.headers['content-type'];
    const detail = `${sent ? `The content type ${sent} is not accepted` : 'The request body has no content type'}: send the body as JSON, with the header content-type: application/json`;
    return { ...problem(415, 'UNSUPPORTED_MEDIA_TYPE', detail), ...context };
  }
  if (status >= 400 && status < 500) {
    return { ...problem(status, clientErrorCode(error), error.message), ...context };
  }
  return { ...problem(500, 'INTERNAL_ERROR', 'An unexpected error occurred. Quote the request id when reporting it.'), ...context };
}

/** Postgres' class 22, "data exception": invalid text, numbers out of range, malformed values. */
function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code) && (error as { severity?: unknown }).severity !== undefined;
}

/** `body.lines.0.quantity`, or the property a `required`/`additionalProperties` rule is about. */
function fieldOf(part: string | undefined, instancePath: string, params: Record<string, unknown> | undefined): string {
  const segments = instancePath.split('/').filter(Boolean);
  const named = params?.requiredProperties ?? params?.missingProperty ?? params?.additionalProperties ?? params?.additionalProperty;
  if (Array.isArray(named)) segments.push(named.join(','));
  else if (typeof named === 'string') segments.push(named);
  return [part ?? 'input', ...segments].join('.');
}

/** A schema reports some failures twice (e.g. "schema is false" beside "must not have additional properties"). */
function uniqueByField(errors: Array<{ field: string; message: string }>): Array<{ field: string; message: string }> {
  const byField = new Map<string, { field: string; message: string }>();
  for (const error of errors) {
    const known = byField.get(error.field);
    if (!known || known.message === 'schema is false') byField.set(error.field, error);
  }
  return [...byField.values()];
}

function clientErrorCode(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'BODY_TOO_LARGE';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'MALFORMED_BODY';
    default:
      return error.code?.startsWith('FST_ERR_') || !error.code ? 'BAD_REQUEST' : error.code;
  }
}
