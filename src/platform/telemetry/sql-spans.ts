import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type pg from 'pg';

/**
 * Seams' own SQL spans, one per statement, in place of @opentelemetry/instrumentation-pg: that one did its work for
 * every query whether or not a span was recorded (parsing, an attribute object, a wrapped promise, a metric), about
 * a sixth of a cheap read's CPU with tracing on (docs/benchmarks-history.md, "Tracing overhead"). This wraps each
 * pooled connection's `query` once, when the pool opens it, and costs a context lookup when no recorded span is
 * active. Because it sits at the pool and patches nothing as it loads, it works the same from source and in the
 * single binary, which is a bundle no instrumentation can patch.
 *
 * A statement gets a span only under a recorded span (a request, a module call, an event handler), as the pg
 * instrumentation's `requireParentSpan` did: the event bus's bookkeeping and pool housekeeping run outside any
 * request and would each start a trace of their own, noise that hides the traces of user actions.
 *
 * Attributes follow the database semantic conventions: db.system.name, db.namespace (the database), db.query.text,
 * db.operation.name (the statement's first keyword), server.address and server.port; a failed statement also gets
 * db.response.status_code (the SQLSTATE) and error.type.
 */
const tracer = trace.getTracer('seams.sql');

type Query = (...args: unknown[]) => unknown;

/** What every span of one SQL text shares. */
interface Statement {
  readonly name: string;
  readonly attributes: Attributes;
}

export function traceStatements(pool: pg.Pool): void {
  pool.on('connect', (client) => wrapQuery(client));
}

function wrapQuery(client: pg.PoolClient): void {
  const target = client as unknown as { database?: string; host?: string; port?: number; query: Query };
  const base: Attributes = { 'db.system.name': 'postgresql', 'db.namespace': target.database ?? '', 'server.address': target.host ?? '', 'server.port': target.port ?? 5432 };
  const query = target.query;
  // The same few statements run over and over (Kysely's compiled queries, the event bus's prepared ones): each text's
  // span name and whole attribute set are worked out once, not spread into a new object at every statement (a traced
  // read's SQL span was a name lookup and a seven-key copy). Bounded, for ad-hoc SQL.
  const statements = new Map<string, Statement>();
  const statementOf = (text: string) => {
    let found = statements.get(text);
    if (!found) {
      if (statements.size >= 500) statements.clear();
      const operation = operationOf(text);
      found = { name: `${operation} ${String(base['db.namespace'])}`, attributes: { ...base, 'db.query.text': text, 'db.operation.name': operation } };
      statements.set(text, found);
    }
    return found;
  };
  target.query = function tracedQuery(this: unknown, ...args: unknown[]) {
    const parent = trace.getSpan(context.active());
    // Only the promise form with SQL text is traced (what Kysely sends); cursors, callbacks and config objects pass
    // through untouched.
    if (!parent?.isRecording() || typeof args[0] !== 'string' || typeof args[args.length - 1] === 'function') return query.apply(this, args);
    const { name, attributes } = statementOf(args[0]);
    // The SDK copies the attributes into the span, so one object can serve every span of the statement.
    const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes });
    return (query.apply(this, args) as Promise<unknown>).then(
      (result) => {
        span.end();
        return result;
      },
      (error: unknown) => {
        failed(span, error);
        throw error;
      },
    );
  };
}

/** The statement's first keyword, upper case: SELECT, INSERT, WITH, BEGIN, ... */
function operationOf(text: string): string {
  const start = text.length - text.trimStart().length;
  const end = text.slice(start).search(/[\s(;]/);
  return (end < 0 ? text.slice(start) : text.slice(start, start + end)).toUpperCase();
}

function failed(span: Span, error: unknown): void {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') span.setAttributes({ 'db.response.status_code': code, 'error.type': code });
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
}
