import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { AggregatedHistograms, RecordValue } from '../telemetry/aggregated-histograms.ts';
import type { ModuleRouter } from './module-router.ts';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

type OnResponse = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/**
 * Records `seams_http_request_duration_seconds` by method, route and status. Each route gets a hook of its own that
 * knows its route (added as the route is registered), and reuses one attribute object per method and status: reading
 * `request.routeOptions` builds a dozen-field object per request, and a fresh attribute object per request was most of
 * the histogram's cost on a cheap read (BENCHMARKS.md, "Where the rest goes"). The histogram is aggregated outside the
 * SDK (aggregated-histograms.ts): each route's hook keeps one series per method and status, so a record hashes no
 * attributes. Requests that match no route are recorded with route `unmatched`. Call before any route is registered.
 */
export function recordRequestDurations(app: ModuleRouter, histograms: AggregatedHistograms): void {
  const duration = histograms.histogram('seams.http', 'seams_http_request_duration_seconds', {
    description: 'HTTP request duration by route and status.',
    boundaries: BUCKETS,
  });
  const hookFor = (route: string): OnResponse => {
    const seriesOf = seriesCache(route, (attributes) => duration.series(attributes));
    return (request, reply, done) => {
      seriesOf(request.method, reply.statusCode)(reply.elapsedTime / 1000);
      done();
    };
  };
  app.addHook('onRoute', (route) => {
    const own = hookFor(route.url);
    route.onResponse = route.onResponse ? [...[route.onResponse].flat(), own] : [own];
  });
  const unmatched = hookFor('unmatched');
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) unmatched(request, reply, done);
    else done();
  });
}

/** One series per method and status of a route; both are few (HTTP methods, status codes). */
function seriesCache(route: string, seriesOf: (attributes: { method: string; route: string; status: string }) => RecordValue): (method: string, status: number) => RecordValue {
  const byMethod = new Map<string, Map<number, RecordValue>>();
  return (method, status) => {
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (!series) byStatus.set(status, (series = seriesOf({ method, route, status: String(status) })));
    return series;
  };
}
