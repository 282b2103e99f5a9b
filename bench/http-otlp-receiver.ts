// The OTLP/HTTP receiver of `npm run bench:http`'s tracing phase (bench/http-tracing.ts): a real listener on 127.0.0.1
// that accepts what the app's exporters send, as a collector would, and counts it, so the tracing-on run is known to
// export every span instead of measuring an exporter that fails or drops. It runs as a process of its own, so its work
// is neither the app's nor the load generator's, and its CPU can be read apart.
//
//   POST /v1/traces   OTLP JSON (what @opentelemetry/exporter-trace-otlp-http sends): counted; the first batch, and the
//                     next one after each POST /decode-next, is also fully decoded, to check the count and to read
//                     service.name and the span names
//   POST /v1/metrics  counted as batches
//   GET  /stats       { traceBatches, spans, metricBatches, bytes, serviceNames, spanNames, countChecked, rejected }
//                     (spanNames: how often each span name occurs in the last decoded batch)
//   POST /decode-next decode the next trace batch in full (its span names replace spanNames)
//   GET  /health      200
//
// Env: PORT (required)
import { createServer } from 'node:http';

const port = Number(process.env.PORT);
if (!port) throw new Error('PORT is required: the port the OTLP/HTTP receiver listens on, on 127.0.0.1');

const stats = { traceBatches: 0, spans: 0, metricBatches: 0, bytes: 0, serviceNames: [] as string[], spanNames: {} as Record<string, number>, countChecked: false, rejected: 0 };

// Every span of OTLP JSON carries exactly one `"spanId":`; links would too, but the app makes none. Counting that key
// costs a scan of the body instead of a full parse, which keeps this process cheap beside the app on 2 cores.
const SPAN_KEY = '"spanId":';
let decodeNext = true;

function countSpans(body: string): number {
  let count = 0;
  for (let at = body.indexOf(SPAN_KEY); at !== -1; at = body.indexOf(SPAN_KEY, at + SPAN_KEY.length)) count += 1;
  return count;
}

interface OtlpTraces {
  resourceSpans?: Array<{ resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans?: Array<{ spans?: Array<{ name: string }> }> }>;
}

/** Decodes one batch in full: the scan must agree with the decoded span count, or the counts mean nothing. */
function checkBatch(body: string, scanned: number): void {
  const decoded = JSON.parse(body) as OtlpTraces;
  let spans = 0;
  stats.spanNames = {};
  for (const resource of decoded.resourceSpans ?? []) {
    const name = resource.resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value.stringValue;
    if (name && !stats.serviceNames.includes(name)) stats.serviceNames.push(name);
    for (const span of (resource.scopeSpans ?? []).flatMap((scope) => scope.spans ?? [])) {
      spans += 1;
      stats.spanNames[span.name] = (stats.spanNames[span.name] ?? 0) + 1;
    }
  }
  if (spans !== scanned) throw new Error(`span count check failed: the scan found ${scanned} spans, decoding found ${spans}`);
  stats.countChecked = true;
  decodeNext = false;
}

const server = createServer((request, response) => {
  if (request.method === 'GET') {
    const body = request.url === '/stats' ? JSON.stringify(stats) : request.url === '/health' ? '{"status":"ok"}' : undefined;
    response.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(body ?? '{}');
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const raw = Buffer.concat(chunks);
    stats.bytes += raw.length;
    if (request.url === '/decode-next') {
      decodeNext = true;
    } else if (request.url === '/v1/metrics') {
      stats.metricBatches += 1;
    } else if (request.url === '/v1/traces' && String(request.headers['content-type']).startsWith('application/json')) {
      const body = raw.toString('utf8');
      const spans = countSpans(body);
      if (decodeNext) checkBatch(body, spans);
      stats.traceBatches += 1;
      stats.spans += spans;
    } else {
      // Protobuf or an unknown path: say so in the stats rather than count spans we cannot see.
      stats.rejected += 1;
      response.writeHead(415, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});

const close = () => server.close(() => process.exit(0));
process.on('SIGTERM', close);
process.on('SIGINT', close);
server.listen(port, '127.0.0.1');
