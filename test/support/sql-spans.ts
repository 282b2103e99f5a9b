import type { ReadableSpan } from '@opentelemetry/sdk-trace';

// The pg instrumentation has moved between semantic-convention versions, so each value is read under its old and its
// new key. No run-time imports: the tracing tests load this before the SDK has patched anything.

/** Whether the span is a PostgreSQL statement. */
export function isSqlSpan(span: ReadableSpan): boolean {
  return span.attributes['db.system'] === 'postgresql' || span.attributes['db.system.name'] === 'postgresql';
}

/** The statement's text; empty for a span that has none. */
export function statementOf(span: ReadableSpan): string {
  return String(span.attributes['db.statement'] ?? span.attributes['db.query.text'] ?? '');
}
