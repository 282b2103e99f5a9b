import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Attributes, Meter } from '@opentelemetry/api';
import type { ModuleRouter } from './module-router.ts';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

type OnResponse = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/**
 * Records `seams_http_request_duration_seconds` by method, route and status. Each route gets a hook of its own that
 * knows its route (added as the route is registered), and reuses one attribute object per method and status: reading
 * `request.routeOptions` builds a dozen-field object per request, and a fresh attribute object per request was most of
 * the histogram's cost on a cheap read (BENCHMARKS.md, "Where the rest goes"). Requests that match no route are
 * recorded with route `unmatched`. Call before any route is registered.
 */
export function recordRequestDurations(app: ModuleRouter, meter: Meter): void {
  const duration = meter.createHistogram('seams_http_request_duration_seconds', {
    description: 'HTTP request duration by route and status.',
    advice: { explicitBucketBoundaries: BUCKETS },
  });
  const hookFor = (route: string): OnResponse => {
    const attributesOf = attributeCache(route);
    return (request, reply, done) => {
      duration.record(reply.elapsedTime / 1000, attributesOf(request.method, reply.statusCode));
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

/** One frozen attribute object per method and status of a route; both are few (HTTP methods, status codes). */
function attributeCache(route: string): (method: string, status: number) => Attributes {
  const byMethod = new Map<string, Map<number, Attributes>>();
  return (method, status) => {
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let attributes = byStatus.get(status);
    if (!attributes) byStatus.set(status, (attributes = Object.freeze({ method, route, status: String(status) })));
    return attributes;
  };
}
