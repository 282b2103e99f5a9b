import { randomUUID } from 'node:crypto';
import { CompiledQuery, type Transaction } from 'kysely';
import { prepared } from '../db/prepared-statements.ts';
import { inSpan, SpanKind, withoutStatementSpans } from '../telemetry/tracing.ts';
import { OUTBOX_TABLE } from './commit-signalling-dialect.ts';
import { producerOf, type EventDefinition, type EventPayload } from './event-definition.ts';

/**
 * The outbox INSERT, written once: building and compiling it with Kysely cost every publish several microseconds, and
 * as a prepared statement PostgreSQL no longer parses and plans it in every transaction. It starts as the
 * commit-signalling driver expects of an outbox write (`insert into "seams_outbox"`).
 */
const OUTBOX_INSERT = prepared(
  CompiledQuery.raw(`insert into "${OUTBOX_TABLE}" ("id", "name", "version", "key", "payload", "trace", "deliver_at") values ($1, $2, $3, $4, $5, $6, $7)`),
);

/** Publishes a module's events into its outbox, inside the caller's transaction. Modules receive it as `events`. */
export interface Publisher {
  /**
   * Writes the event to the module's outbox in `trx`, so it is published if and only if `trx` commits. Only a
   * transaction of the module's own database is accepted, and only events of the module's own contract. The payload
   * is checked against the event's schema before anything is written.
   * With `at`, the event is due then: subscribers get it once that moment has come (by the app's clock), not
   * before. Modules use it through their clock (`clock.at`), which is where deadlines belong.
   * @returns the event id.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  publish<E extends EventDefinition>(trx: Transaction<any>, event: E, payload: EventPayload<E>, options?: PublishOptions): Promise<string>;
}

export interface PublishOptions {
  /** Deliver the event no earlier than this. */
  readonly at?: Date;
}

/** W3C trace context to store with an event (filled in by telemetry; empty when tracing is off). */
export type TraceCarrierSource = () => Record<string, string> | undefined;

export function createPublisher(module: string, traceCarrier: TraceCarrierSource): Publisher {
  return {
    async publish(trx, event, payload, options = {}) {
      if (producerOf(event) !== module) {
        throw new Error(`Module "${module}" cannot publish ${event.name}: a module publishes only the events of its own contract`);
      }
      if (!trx || (trx as { isTransaction?: boolean }).isTransaction !== true) {
        throw new Error(`publish(${event.name}) needs a transaction of the module's database, so the event commits with the change it describes`);
      }
      event.assertValid(payload);
      const id = randomUUID();
      await inSpan(
        `${event.name} publish`,
        { kind: SpanKind.PRODUCER, attributes: { 'seams.module': module, 'seams.event': event.name, 'seams.event_version': event.version, 'seams.event_id': id } },
        () => {
          const parameters = [
            id,
            event.name,
            event.version,
            event.key ? event.key(payload) : null,
            JSON.stringify(payload),
            // Captured inside the publish span, so the handlers' spans become its children.
            JSON.stringify(traceCarrier() ?? null),
            // Due later (clock.at) or, as almost always, at once.
            options.at ?? null,
          ];
          // The publish span is this INSERT: a SQL span under it would only repeat it.
          return withoutStatementSpans(() => trx.executeQuery({ ...OUTBOX_INSERT, parameters }));
        },
      );
      return id;
    },
  };
}
