import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context } from '@opentelemetry/api';

/**
 * Seams' own spans: module API calls, event publishes and event handling. With no SDK started (tests, or
 * OTEL_SDK_DISABLED=true) the API hands out no-op spans, so none of this costs more than a function call.
 */
const tracer = trace.getTracer('seams');

export { SpanKind };

/** Runs `fn` in a new active span that ends, with its status, when `fn` settles. */
export function inSpan<T>(name: string, options: { kind?: SpanKind; attributes?: Attributes; parent?: Context }, fn: () => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer.startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes ?? {} }, parent, async (span) => {
    try {
      return await fn();
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Runs `fn` in the active span's trace but with no recorded span active, so the statements it runs get no SQL span
 * (sql-spans.ts traces only under a recorded span). For bookkeeping whose span would say no more than its parent's:
 * the outbox INSERT of a publish was a sixth of an order's spans and took as long as the publish span itself.
 */
export function withoutStatementSpans<T>(fn: () => T): T {
  const active = context.active();
  const span = trace.getSpan(active);
  if (!span?.isRecording()) return fn();
  return context.with(trace.setSpan(active, trace.wrapSpanContext(span.spanContext())), fn);
}

/** The W3C trace context of the active span, to store with an event; undefined when there is none. */
export function currentTraceCarrier(): Record<string, string> | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** The context a stored carrier describes, to continue the publisher's trace in a handler. */
export function contextFromCarrier(carrier: unknown): Context {
  if (!carrier || typeof carrier !== 'object') return context.active();
  return propagation.extract(context.active(), carrier as Record<string, string>);
}
