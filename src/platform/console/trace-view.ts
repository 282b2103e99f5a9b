import type { BufferedSpan, TraceSource, TraceSummary } from '../telemetry/trace-buffer.ts';
import type { RouteOwners } from './route-owners.ts';

export interface TraceFilter {
  /** Part of the trace's name or route, case-insensitive. */
  readonly route?: string | undefined;
  /** `error`, `ok`, a status (`404`) or a class (`5xx`). */
  readonly status?: string | undefined;
  readonly minDurationMs?: number | undefined;
  readonly limit?: number | undefined;
}

export interface TraceListEntry extends TraceSummary {
  /** The modules its spans belong to. */
  readonly modules: string[];
}

export type ConsoleSpan = BufferedSpan & { readonly module: string | undefined };

/** The traces in the buffer that pass the filter, newest first. */
export function listTraces(source: TraceSource, owners: RouteOwners, filter: TraceFilter): TraceListEntry[] {
  const route = filter.route?.toLowerCase();
  const matches = (trace: TraceSummary) =>
    (!route || trace.name.toLowerCase().includes(route) || (trace.route ?? '').toLowerCase().includes(route)) &&
    (filter.minDurationMs === undefined || trace.durationMs >= filter.minDurationMs) &&
    statusMatches(trace, filter.status);
  return source
    .list()
    .filter(matches)
    .slice(0, filter.limit ?? 100)
    .map((trace) => ({ ...trace, modules: [...new Set(traceSpans(source, owners, trace.traceId)!.map((span) => span.module).filter((module) => module !== undefined))].sort() }));
}

/**
 * A trace's spans in waterfall order, each with the module it belongs to: its own `seams.module` (module calls,
 * publishes, handlers), the module whose route a server span serves, or else its parent's (SQL under a handler).
 */
export function traceSpans(source: TraceSource, owners: RouteOwners, traceId: string): ConsoleSpan[] | undefined {
  const spans = source.get(traceId);
  if (!spans) return undefined;
  const moduleOf = new Map<string, string | undefined>();
  // Waterfall order puts every parent before its children, so a parent's module is known when a child asks.
  return spans.map((span) => {
    const own = span.attributes['seams.module'];
    const route = span.attributes['http.route'];
    const method = span.attributes['http.request.method'] ?? span.attributes['http.method'];
    const module =
      (typeof own === 'string' ? own : undefined) ??
      (typeof route === 'string' && typeof method === 'string' ? owners.ownerOf(method, route) : undefined) ??
      (span.parentSpanId ? moduleOf.get(span.parentSpanId) : undefined);
    moduleOf.set(span.spanId, module);
    return { ...span, module };
  });
}

function statusMatches(trace: TraceSummary, status: string | undefined): boolean {
  if (!status) return true;
  if (status === 'error') return trace.error || (trace.statusCode ?? 0) >= 500;
  if (status === 'ok') return !trace.error && (trace.statusCode ?? 0) < 400;
  if (/^[1-5]xx$/.test(status)) return Math.floor((trace.statusCode ?? 0) / 100) === Number(status[0]);
  return String(trace.statusCode) === status;
}
