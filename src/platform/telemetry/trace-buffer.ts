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

const KINDS: Record<number, string> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

/**
 * A span processor that keeps the spans of the last `capacity` traces in memory, for the console. A trace is
 * evicted whole, oldest first (by the time its first span ended), when a new one arrives and the buffer is full. The
 * work per span is a map lookup and an array push: the conversion to the console's shape happens when someone looks.
 */
export class TraceBuffer implements SpanProcessor, TraceSource {
  readonly capacity: number;
  // Insertion order is the eviction order.
  readonly #traces = new Map<string, ReadableSpan[]>();

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`A trace buffer needs a capacity of at least 1, got ${capacity}`);
    this.capacity = capacity;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId;
    const spans = this.#traces.get(traceId);
    if (spans) {
      if (spans.length < MAX_SPANS_PER_TRACE) spans.push(span);
      return;
    }
    this.#traces.set(traceId, [span]);
    if (this.#traces.size > this.capacity) this.#traces.delete(this.#traces.keys().next().value!);
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.#traces.clear();
  }

  /** Every trace in the buffer, newest first. */
  list(): TraceSummary[] {
    return [...this.#traces].reverse().map(([traceId, spans]) => summarize(traceId, spans));
  }

  /** A trace's spans in waterfall order: each parent before its children, siblings by start time. */
  get(traceId: string): BufferedSpan[] | undefined {
    const spans = this.#traces.get(traceId)?.map(toBuffered);
    return spans && treeOrder(spans);
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
