import { createServer } from 'node:http';

export type OtlpAttribute = { key: string; value: { stringValue?: string; intValue?: string | number } };
export type OtlpSpan = { name: string; traceId: string; spanId: string; parentSpanId?: string; attributes: OtlpAttribute[] };
export type OtlpTraces = { resourceSpans: Array<{ resource: { attributes: OtlpAttribute[] }; scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
export type OtlpMetrics = { resourceMetrics: Array<{ resource: { attributes: OtlpAttribute[] }; scopeMetrics: Array<{ metrics: Array<{ name: string }> }> }> };

export interface OtlpReceiver {
  /** The base URL to give as OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  readonly received: { traces: OtlpTraces[]; metrics: OtlpMetrics[] };
  /** Every span received so far, with the service.name of the process that sent it. */
  spans(): Array<OtlpSpan & { service: string | undefined }>;
  close(): Promise<void>;
}

export const otlpAttribute = (attributes: OtlpAttribute[], key: string) => attributes.find((entry) => entry.key === key)?.value.stringValue;

/** A real OTLP/HTTP receiver on 127.0.0.1: it decodes the JSON the exporters send and keeps it. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: OtlpReceiver['received'] = { traces: [], metrics: [] };
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') received.traces.push(JSON.parse(body));
      if (request.url === '/v1/metrics') received.metrics.push(JSON.parse(body));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    received,
    spans: () =>
      received.traces.flatMap((batch) =>
        batch.resourceSpans.flatMap((resource) => {
          const service = otlpAttribute(resource.resource.attributes, 'service.name');
          return resource.scopeSpans.flatMap((scope) => scope.spans.map((span) => ({ ...span, service })));
        }),
      ),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
