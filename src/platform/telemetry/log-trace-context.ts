import { context, isSpanContextValid, trace } from '@opentelemetry/api';

/**
 * The active span's ids for a log line (`trace_id`, `span_id`, `trace_flags`), as a pino mixin. This is what
 * @opentelemetry/instrumentation-pino adds, without patching pino as it loads: patching cannot reach into a bundle
 * (the single binary), and a mixin works the same from source. Nothing when no span is active (or the SDK is off).
 */
export function traceContextFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId, trace_flags: `0${spanContext.traceFlags.toString(16)}` };
}
