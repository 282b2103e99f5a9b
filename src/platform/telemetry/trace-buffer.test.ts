import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { TraceBuffer } from './trace-buffer.ts';

/** A tracer whose only processor is the buffer, with no global registration. */
function tracerWith(buffer: TraceBuffer) {
  return new TracerProvider({ spanProcessors: [buffer] }).getTracer('test');
}

/** One trace: a root span with `children` child spans, the last one failing when `fail` is set. */
function makeTrace(tracer: ReturnType<typeof tracerWith>, name: string, children = 1, fail = false): string {
  const root = tracer.startSpan(name, { attributes: { 'http.route': '/things/:id', 'http.request.method': 'GET', 'http.response.status_code': fail ? 500 : 200 } });
  const parent = trace.setSpan(context.active(), root);
  for (let i = 0; i < children; i++) {
    const child = tracer.startSpan(`child ${i}`, { attributes: { 'seams.module': 'things' } }, parent);
    if (fail && i === children - 1) child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    child.end();
  }
  root.end();
  return root.spanContext().traceId;
}

describe('TraceBuffer', () => {
  it('keeps whole traces, lists them newest first with route, method, status and duration, and returns one with its spans in start order', () => {
    const buffer = new TraceBuffer(10);
    const tracer = tracerWith(buffer);
    const first = makeTrace(tracer, 'GET /things/:id', 2);
    const second = makeTrace(tracer, 'GET /things/:id', 1, true);

    const list = buffer.list();
    expect(list.map((entry) => entry.traceId)).toEqual([second, first]);
    expect(list[1]).toMatchObject({ name: 'GET /things/:id', route: '/things/:id', method: 'GET', statusCode: 200, error: false, spanCount: 3 });
    expect(list[0]).toMatchObject({ statusCode: 500, error: true, spanCount: 2 });
    expect(list[1]!.durationMs).toBeGreaterThanOrEqual(0);

    const spans = buffer.get(first)!;
    expect(spans.map((span) => span.name)).toEqual(['GET /things/:id', 'child 0', 'child 1']);
    expect(spans[1]).toMatchObject({ parentSpanId: spans[0]!.spanId, attributes: { 'seams.module': 'things' }, status: 'unset' });
    expect(buffer.get(second)!.at(-1)).toMatchObject({ status: 'error', statusMessage: 'boom' });
    expect(buffer.get('0'.repeat(32))).toBeUndefined();
  });

  it('drops the oldest trace whole when a new one arrives and it is full', () => {
    const buffer = new TraceBuffer(2);
    const tracer = tracerWith(buffer);
    const ids = [makeTrace(tracer, 'a', 3), makeTrace(tracer, 'b', 3), makeTrace(tracer, 'c', 3)];
    expect(buffer.list().map((entry) => entry.traceId)).toEqual([ids[2], ids[1]]);
    expect(buffer.get(ids[0]!)).toBeUndefined();
    expect(buffer.get(ids[1]!)).toHaveLength(4);
  });

  it('takes no new trace once its bucket is empty, except from the first failed span of one on', () => {
    // A bucket of 2 that never refills.
    const buffer = new TraceBuffer(2, { perSecond: 0, burst: 2 });
    const tracer = tracerWith(buffer);
    const ids = [makeTrace(tracer, 'a'), makeTrace(tracer, 'b'), makeTrace(tracer, 'c'), makeTrace(tracer, 'd', 3, true)];
    expect(buffer.get(ids[2]!)).toBeUndefined();
    expect(buffer.list().map((entry) => entry.traceId)).toEqual([ids[3], ids[1]]);
    // The failed child and the root that ended after it; the two children before it had already gone.
    expect(buffer.get(ids[3]!)!.map((span) => span.name)).toEqual(['d', 'child 2']);
  });

  it('refuses a capacity below 1 (0 means no buffer at all, which the SDK decides)', () => {
    expect(() => new TraceBuffer(0)).toThrow(/at least 1/);
  });
});
