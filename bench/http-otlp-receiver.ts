// The OTLP/HTTP receiver of `npm run bench:http`'s tracing phase (bench/http-tracing.ts): a real listener on 127.0.0.1
// that accepts what the app's exporters send, as a collector would, and counts it, so the tracing-on run is known to
// export every span instead of measuring an exporter that fails or drops. It runs as a process of its own, so its work
// is neither the app's nor the load generator's, and its CPU can be read apart.
//
//   POST /v1/traces   OTLP JSON (application/json) or protobuf (application/x-protobuf): spans counted; while decoding
//                     is on (POST /decode), and for the first batch, each batch is also decoded in full, to check the
//                     count and to read service.name and the span names
//   POST /v1/metrics  counted as batches
//   GET  /stats       { traceBatches, spans, metricBatches, bytes, serviceNames, spanNames, countChecked, rejected }
//   POST /decode      body `on`: decode every trace batch from now on, span names counted afresh; body `off`: stop,
//                     and answer the span names counted since `on`
//   GET  /health      200
//
// Env: PORT (required)
import { createServer } from 'node:http';

const port = Number(process.env.PORT);
if (!port) throw new Error('PORT is required: the port the OTLP/HTTP receiver listens on, on 127.0.0.1');

const stats = { traceBatches: 0, spans: 0, metricBatches: 0, bytes: 0, serviceNames: [] as string[], spanNames: {} as Record<string, number>, countChecked: false, rejected: 0 };
let decoding = false;
/** The first batch is decoded to check the count even before anyone asks. */
let checkFirst = true;

interface Decoded {
  spans: number;
  serviceNames: string[];
  spanNames: string[];
}

// ---------------------------------------------------------------------------------------------------------------- JSON

// Every span of OTLP JSON carries exactly one `"spanId":`; links would too, but the app makes none. Counting that key
// costs a scan of the body instead of a full parse, which keeps this process cheap beside the app on 2 cores.
const SPAN_KEY = '"spanId":';

function countJsonSpans(body: string): number {
  let count = 0;
  for (let at = body.indexOf(SPAN_KEY); at !== -1; at = body.indexOf(SPAN_KEY, at + SPAN_KEY.length)) count += 1;
  return count;
}

interface OtlpTraces {
  resourceSpans?: Array<{ resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans?: Array<{ spans?: Array<{ name: string }> }> }>;
}

function decodeJson(body: string): Decoded {
  const decoded = JSON.parse(body) as OtlpTraces;
  const result: Decoded = { spans: 0, serviceNames: [], spanNames: [] };
  for (const resource of decoded.resourceSpans ?? []) {
    const name = resource.resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value.stringValue;
    if (name) result.serviceNames.push(name);
    for (const span of (resource.scopeSpans ?? []).flatMap((scope) => scope.spans ?? [])) {
      result.spans += 1;
      result.spanNames.push(span.name);
    }
  }
  return result;
}

// ------------------------------------------------------------------------------------------------------------ protobuf

// OTLP protobuf (opentelemetry/proto/collector/trace/v1): ExportTraceServiceRequest { repeated ResourceSpans
// resource_spans = 1 }, ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2 }, ScopeSpans
// { repeated Span spans = 2 }, Span { string name = 5 }, Resource { repeated KeyValue attributes = 1 }, KeyValue
// { string key = 1; AnyValue value = 2 }, AnyValue { string string_value = 1 }. @opentelemetry/otlp-transformer ships
// a hand-written writer and no .proto files, so these few fields are read off the wire format here; every other field
// is skipped by its wire type.

/** The fields of one message: number -> length-delimited payloads (other wire types are skipped). */
function fields(buffer: Buffer, start = 0, end = buffer.length): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  let at = start;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = buffer[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
      shift += 7;
    }
  };
  while (at < end) {
    const key = varint();
    const [field, wire] = [Math.floor(key / 8), key & 7];
    if (wire === 0) varint();
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const length = varint();
      out.push([field, buffer.subarray(at, at + length)]);
      at += length;
    } else throw new Error(`OTLP protobuf: wire type ${wire} of field ${field} at byte ${at} is not one this receiver reads`);
  }
  return out;
}

const sub = (message: Buffer, field: number) => fields(message).filter(([number]) => number === field).map(([, payload]) => payload);

/** Counts spans (ScopeSpans.spans) without decoding them; with `full`, also reads service.name and the span names. */
function decodeProtobuf(body: Buffer, full: boolean): Decoded {
  const result: Decoded = { spans: 0, serviceNames: [], spanNames: [] };
  for (const resourceSpans of sub(body, 1)) {
    if (full) {
      for (const resource of sub(resourceSpans, 1)) {
        for (const attribute of sub(resource, 1)) {
          if (sub(attribute, 1)[0]?.toString('utf8') !== 'service.name') continue;
          const name = sub(sub(attribute, 2)[0] ?? Buffer.alloc(0), 1)[0];
          if (name) result.serviceNames.push(name.toString('utf8'));
        }
      }
    }
    for (const scopeSpans of sub(resourceSpans, 2)) {
      for (const span of sub(scopeSpans, 2)) {
        result.spans += 1;
        if (full) result.spanNames.push(sub(span, 5)[0]?.toString('utf8') ?? '');
      }
    }
  }
  return result;
}

// ------------------------------------------------------------------------------------------------------------- server

/** Counts a batch; while decoding, decodes it in full too, and the two counts must agree or the counts mean nothing. */
function traces(raw: Buffer, contentType: string): boolean {
  let spans: number;
  let decoded: Decoded | undefined;
  const full = decoding || checkFirst;
  if (contentType.startsWith('application/json')) {
    const body = raw.toString('utf8');
    spans = countJsonSpans(body);
    if (full) decoded = decodeJson(body);
  } else if (contentType.startsWith('application/x-protobuf')) {
    // Skipping span bodies by their length is the count; the full read only adds the names.
    decoded = decodeProtobuf(raw, full);
    spans = decoded.spans;
    if (!full) decoded = undefined;
  } else {
    return false;
  }
  if (decoded) {
    if (decoded.spans !== spans) throw new Error(`span count check failed: the count found ${spans} spans, decoding found ${decoded.spans}`);
    for (const name of decoded.serviceNames) if (!stats.serviceNames.includes(name)) stats.serviceNames.push(name);
    for (const name of decoded.spanNames) stats.spanNames[name] = (stats.spanNames[name] ?? 0) + 1;
    checkFirst = false;
    stats.countChecked = true;
  }
  stats.traceBatches += 1;
  stats.spans += spans;
  return true;
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
    let answer = '{}';
    if (request.url === '/decode') {
      decoding = raw.toString('utf8') === 'on';
      if (decoding) stats.spanNames = {};
      else answer = JSON.stringify(stats.spanNames);
    } else if (request.url === '/v1/metrics') {
      stats.metricBatches += 1;
    } else if (request.url !== '/v1/traces' || !traces(raw, String(request.headers['content-type']))) {
      // An unknown path or content type: say so in the stats rather than count spans we cannot see.
      stats.rejected += 1;
      response.writeHead(415, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    // OTLP/HTTP answers in the request's encoding; an empty ExportTraceServiceResponse is empty in both.
    const protobuf = String(request.headers['content-type']).startsWith('application/x-protobuf');
    response.writeHead(200, { 'content-type': protobuf ? 'application/x-protobuf' : 'application/json' }).end(protobuf ? '' : answer);
  });
});

const close = () => server.close(() => process.exit(0));
process.on('SIGTERM', close);
process.on('SIGINT', close);
server.listen(port, '127.0.0.1');
