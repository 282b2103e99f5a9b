import { SpanKind, SpanStatusCode, type Attributes, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

/** One finished span, as the console shows it. Times are epoch milliseconds. */
export interface BufferedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly status: 'unset' | 'ok' | 'error';
  readonly statusMessage: string | undefined;
  readonly attributes: Attributes;
  /** service.name of the process that made it. */
  readonly service: string;
  readonly events: ReadonlyArray<{ readonly name: string; readonly timeMs: number; readonly attributes: Attributes }>;
}

/** A trace in the buffer, summed up for a list. */
export interface TraceSummary {
  readonly traceId: string;
  /** The root span's name (`POST /orders`), or the earliest span's when the root is not here. */
  readonly name: string;
  /** The HTTP route of the root span, when it is a request. */
  readonly route: string | undefined;
  readonly method: string | undefined;
  /** The HTTP status of the root span, when it is a request. */
  readonly statusCode: number | undefined;
  /** True when any span of the trace ended in error. */
  readonly error: boolean;
  readonly startMs: number;
  /** From the first span's start to the last span's end. */
  readonly durationMs: number;
  readonly spanCount: number;
}

/** Where the console reads traces from; a process without the SDK has none. */
export interface TraceSource {
  readonly capacity: number;
  list(): TraceSummary[];
  get(traceId: string): BufferedSpan[] | undefined;
}

/** A trace that keeps growing (a loop of events) stops collecting here; the buffer stays bounded. */
const MAX_SPANS_PER_TRACE = 2000;

/** How many new traces the buffer takes: `burst` at once, then `perSecond` (a token bucket). */
export interface Admission {
  readonly perSecond: number;
  readonly burst: number;
}

/**
 * New traces the buffer takes: bursts of up to 200 (the default buffer's size), then 50 a second.
 * Keeping every trace under load cost more than exporting it: kept spans outlive the young generation, and a
 * micro-benchmark of a read's two spans (BENCHMARKS.md, issue 13) spent 5-8 µs more CPU per read with the buffer
 * than without, most of it in the garbage collector. At 5,000 traces/s the whole buffer turned over every 40 ms,
 * faster than anyone can look; at this rate the console still shows the last few seconds of traffic, and every
 * trace while it is quiet.
 */
const ADMISSION: Admission = { perSecond: 50, burst: 200 };

const KINDS: Record<number, string> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

/**
 * A span processor that keeps the spans of the last `capacity` traces in memory, for the console. A trace is
 * evicted whole, oldest first (by the time its first span started), when a new one arrives and the buffer is full. The
 * work per span is a map lookup and an array push: the conversion to the console's shape happens when someone looks.
 * Under load it takes new traces at a bounded rate (`admission`), and a trace left out from its first failed
 * span on.
 */
export class TraceBuffer implements SpanProcessor, TraceSource {
  readonly capacity: number;
  // Insertion order is the eviction order.
  readonly #traces = new Map<string, ReadableSpan[]>();
  readonly #admittedPerMs: number;
  readonly #burst: number;
  /** New traces the buffer may still take now; refilled with time, at most `burst`. */
  #tokens: number;
  #refilledAt = performance.now();

  constructor(capacity: number, admission: Admission = ADMISSION) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`A trace buffer needs a capacity of at least 1, got ${capacity}`);
    this.capacity = capacity;
    this.#burst = admission.burst;
    this.#tokens = admission.burst;
    this.#admittedPerMs = admission.perSecond / 1000;
  }

  /**
   * A trace's first span in this process (no parent, or one from another process or a stored event) decides whether
   * the trace is kept, before any of its spans end: decided at the first span to end, a trace let in late would show
   * without the spans that ended before it.
   */
  onStart(span: Span, _parentContext: Context): void {
    const parent = span.parentSpanContext;
    if (parent && !parent.isRemote) return;
    const traceId = span.spanContext().traceId;
    if (!this.#traces.has(traceId) && this.#take()) this.#keep(traceId, []);
  }

  onEnd(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId;
    const spans = this.#traces.get(traceId);
    if (spans) {
      if (spans.length < MAX_SPANS_PER_TRACE) spans.push(span);
      return;
    }
    // A trace the rate left out still shows from its first failed span on.
    if (span.status.code === SpanStatusCode.ERROR) this.#keep(traceId, [span]);
  }

  #keep(traceId: string, spans: ReadableSpan[]): void {
    this.#traces.set(traceId, spans);
    if (this.#traces.size > this.capacity) this.#traces.delete(this.#traces.keys().next().value!);
  }

  /** Whether a new trace may come in now: while the bucket has a token. */
  #take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#refilledAt) * this.#admittedPerMs);
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.#traces.clear();
  }

  /** Every trace in the buffer, newest first. */
  list(): TraceSummary[] {
    // A trace whose spans have all yet to end has nothing to show.
    return [...this.#traces].filter(([, spans]) => spans.length > 0).reverse().map(([traceId, spans]) => summarize(traceId, spans));
  }

  /** A trace's spans in waterfall order: each parent before its children, siblings by start time. */
  get(traceId: string): BufferedSpan[] | undefined {
    const spans = this.#traces.get(traceId)?.map(toBuffered);
    return spans?.length ? treeOrder(spans) : undefined;
  }
}

function summarize(traceId: string, spans: readonly ReadableSpan[]): TraceSummary {
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const starts = spans.map((span) => hrMs(span.startTime));
  const ends = spans.map((span) => hrMs(span.endTime));
  // The root is the span without a parent here; if the root is in another process, the earliest span stands in.
  const root = spans.find((span) => !span.parentSpanContext || (!ids.has(span.parentSpanContext.spanId) && !span.parentSpanContext.isRemote)) ??
    spans.reduce((a, b) => (hrMs(a.startTime) <= hrMs(b.startTime) ? a : b));
  const attribute = (key: string) => root.attributes[key];
  const statusCode = attribute('http.response.status_code') ?? attribute('http.status_code');
  const route = attribute('http.route');
  const method = attribute('http.request.method') ?? attribute('http.method');
  const start = Math.min(...starts);
  return {
    traceId,
    name: root.name,
    route: typeof route === 'string' ? route : undefined,
    method: typeof method === 'string' ? method : undefined,
    statusCode: typeof statusCode === 'number' ? statusCode : typeof statusCode === 'string' ? Number(statusCode) : undefined,
    error: spans.some((span) => span.status.code === SpanStatusCode.ERROR),
    startMs: start,
    durationMs: Math.max(...ends) - start,
    spanCount: spans.length,
  };
}

function toBuffered(span: ReadableSpan): BufferedSpan {
  const status = span.status.code === SpanStatusCode.ERROR ? 'error' : span.status.code === SpanStatusCode.OK ? 'ok' : 'unset';
  const service = span.resource.attributes['service.name'];
  return {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    kind: KINDS[span.kind] ?? 'internal',
    startMs: hrMs(span.startTime),
    durationMs: hrMs(span.duration),
    status,
    statusMessage: span.status.message,
    attributes: span.attributes,
    service: typeof service === 'string' ? service : 'unknown',
    events: span.events.map((event) => ({ name: event.name, timeMs: hrMs(event.time), attributes: event.attributes ?? {} })),
  };
}

function treeOrder(spans: BufferedSpan[]): BufferedSpan[] {
  const ids = new Set(spans.map((span) => span.spanId));
  const children = new Map<string | undefined, BufferedSpan[]>();
  for (const span of spans) {
    // A span whose parent is not here (in another process, or evicted) is drawn as a root.
    const parent = span.parentSpanId !== undefined && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const ordered: BufferedSpan[] = [];
  const visit = (parent: string | undefined) => {
    for (const span of (children.get(parent) ?? []).sort((a, b) => a.startMs - b.startMs)) {
      ordered.push(span);
      visit(span.spanId);
    }
  };
  visit(undefined);
  return ordered;
}

function hrMs([seconds, nanos]: readonly [number, number]): number {
  return seconds * 1000 + nanos / 1e6;
}

declare global {
  /** The trace buffer the SDK was started with, if any: the SDK starts before the app and the app reads it here. */
  var __seamsTraceBuffer: TraceBuffer | undefined;
}

/** The process's trace buffer, when the SDK runs with one. */
export function installedTraceBuffer(): TraceSource | undefined {
  return globalThis.__seamsTraceBuffer;
}
