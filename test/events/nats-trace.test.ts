// The OpenTelemetry SDK starts before the apps load, as in test/observability/tracing.test.ts, so both apps of this
// process record their spans into one in-memory exporter.
import { register } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { startTelemetry } from '#platform/telemetry/sdk.ts';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
const exporter = new InMemorySpanExporter();
const sdk = startTelemetry({ serviceName: 'seams-nats-test', otlpEndpoint: undefined, spanProcessors: [new SimpleSpanProcessor({ exporter })] });

const { sql } = await import('kysely');
const { natsForTests } = await import('../support/nats-server.ts');
const { deleteStream, producerApp, runPrefix, subscriberApp } = await import('../support/nats-apps.ts');
const { probeSystem } = await import('../support/probe-modules.ts');
const { waitFor } = await import('../support/wait-for.ts');

const nats = await natsForTests();
if (nats.skipped) console.warn(`NATS tests skipped: ${nats.skipped}`);

describe.skipIf(nats.skipped !== undefined)('trace context across processes, over NATS', () => {
  const probes = probeSystem(runPrefix('natst'), 1);
  let producer: Awaited<ReturnType<typeof producerApp>>;
  let subscriber: Awaited<ReturnType<typeof subscriberApp>>;

  beforeAll(async () => {
    producer = await producerApp(probes, nats.url!);
    subscriber = await subscriberApp(probes, nats.url!);
  });
  afterAll(async () => {
    await subscriber?.app.close();
    await producer?.app.close();
    await deleteStream(nats.url!, probes.producer);
    await nats.stop();
    await sdk.shutdown();
  });

  it('makes the handler on the other side a child of the publish span, in the same trace', async () => {
    const id = await producer.publish(1, 'traced');
    await waitFor(async () => (await subscriber.sinks[0]!.effects({ eventId: id })).length === 1, { timeoutMs: 15_000, message: 'event not handled' });
    const spans = exporter.getFinishedSpans();
    const publish = spans.find((span) => span.name === `${probes.Pinged.name} publish` && span.attributes['seams.event_id'] === id);
    await waitFor(() => exporter.getFinishedSpans().some((span) => span.name === `${probes.Pinged.name} handle` && span.attributes['seams.event_id'] === id));
    const handle = exporter.getFinishedSpans().find((span) => span.name === `${probes.Pinged.name} handle` && span.attributes['seams.event_id'] === id)!;
    expect(publish).toBeDefined();
    expect(handle.spanContext().traceId).toBe(publish!.spanContext().traceId);
    expect(handle.parentSpanContext?.spanId).toBe(publish!.spanContext().spanId);
    expect(handle.attributes['seams.module']).toBe(probes.subscribers[0]);

    // The context crossed in the NATS message headers: it is what the receiver stored with the event.
    const stored = await sql<{ trace: Record<string, string> | null }>`select trace from seams_received where id = ${id}::uuid`.execute(
      subscriber.app.module(probes.subscribers[0]!).db(),
    );
    expect(stored.rows[0]?.trace?.traceparent).toBe(`00-${publish!.spanContext().traceId}-${publish!.spanContext().spanId}-01`);
  });
});
