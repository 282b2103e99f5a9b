import Type from 'typebox';
import { defineContract } from '#platform/modules/contract.ts';
import { defineModule, type AnyModule } from '#platform/modules/define-module.ts';
import { defineEvent, type EventDefinition } from '#platform/events/event-definition.ts';
import { subscribe, type DeliveredEvent } from '#platform/events/subscription.ts';

/**
 * The benchmark's throw-away system: one producer and `subscriberCount` subscribers whose handler does nothing, so
 * the only work per delivered event is the platform's own (inbox INSERT, cursor, commit). That matches the peer
 * harness's "one inbox INSERT per message". The handler only reports to `onHandle`, which the benchmark uses to time
 * handler starts and to count deliveries.
 */
export const PRODUCER = 'bench-source';
export const sinkName = (i: number) => `bench-sink${i + 1}`;

/** The peer harness's message: id, a monotonic timestamp (ms), one of 64 keys, a type and filler to ~300 bytes. */
export interface BenchMessage {
  id: number;
  ts: number;
  key: string;
  type: string;
  body: string;
}

export const OrderPlaced = defineEvent({
  name: `${PRODUCER}.OrderPlaced`,
  version: 1,
  description: 'A benchmark event shaped like the peer harness message.',
  schema: Type.Object(
    { id: Type.Integer(), ts: Type.Number(), key: Type.String(), type: Type.String(), body: Type.String() },
    { additionalProperties: false },
  ),
  // The peer's messages carry 64 keys; ours are ordered per key, as a real event would be.
  key: (payload) => payload.key,
});

export type OnHandle = (sink: number, event: DeliveredEvent<BenchMessage>) => void;

export function benchModules(subscriberCount: number, onHandle: OnHandle, options: { partitions?: number } = {}): { modules: AnyModule[]; event: EventDefinition } {
  const contract = defineContract({ module: PRODUCER, methods: {}, events: { OrderPlaced } });
  const producer = defineModule({ name: PRODUCER, owners: ['@seams/bench'], dependsOn: {}, contract, api: () => ({}) });
  const sinks = Array.from({ length: subscriberCount }, (_, i) =>
    defineModule({
      name: sinkName(i),
      owners: ['@seams/bench'],
      dependsOn: { [PRODUCER]: 'the benchmark measures delivery of its events' },
      subscriptions: [
        subscribe(
          OrderPlaced,
          () => async (event: DeliveredEvent<BenchMessage>) => {
            onHandle(i, event);
          },
          options.partitions ? { partitions: options.partitions } : {},
        ),
      ],
    }),
  );
  return { modules: [producer, ...sinks], event: OrderPlaced };
}

let filler: string | undefined;
/** ~PAYLOAD_BYTES of JSON, exactly as the peer harness builds it. */
export function makeMessage(i: number, ts: number, payloadBytes: number): BenchMessage {
  if (filler === undefined) {
    const probe = JSON.stringify({ id: 19999, ts: 123456789.123456, key: 'k63', type: 'bench.order-placed', body: '' });
    filler = 'x'.repeat(Math.max(0, payloadBytes - probe.length));
  }
  return { id: i, ts, key: `k${i % 64}`, type: 'bench.order-placed', body: filler };
}
