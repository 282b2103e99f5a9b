import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * An event a module publishes, declared in its `contract.ts`. The name is `<module>.<EventName>`; the version lets a
 * producer change the payload while subscribers of the old version keep working (publish both while they move).
 */
export interface EventDefinition<S extends TSchema = TSchema> {
  readonly name: string;
  readonly version: number;
  readonly schema: S;
  /** One line for the generated module docs. */
  readonly description: string;
  /**
   * The ordering key: events with the same key reach each subscriber in publish order. Events without a key (the
   * default) are ordered by nothing but are never held back by another event's failure.
   */
  readonly key?: (payload: Static<S>) => string;
  /** Throws {@link EventPayloadError} when the payload does not match the schema. */
  readonly assertValid: (payload: unknown) => void;
}

export type EventPayload<E extends EventDefinition> = Static<E['schema']>;

export class EventPayloadError extends Error {
  readonly event: string;
  readonly errors: ReadonlyArray<{ path: string; message: string }>;
  constructor(event: string, errors: Array<{ path: string; message: string }>) {
    super(`Payload of ${event} does not match its schema: ${errors.map((error) => `${error.path || '/'} ${error.message}`).join('; ')}`);
    this.name = 'EventPayloadError';
    this.event = event;
    this.errors = errors;
  }
}

const EVENT_NAME = /^[a-z][a-z0-9-]*\.[A-Z][A-Za-z0-9]*$/;

export function defineEvent<const S extends TSchema>(definition: {
  name: string;
  version: number;
  schema: S;
  description: string;
  key?: (payload: Static<S>) => string;
}): EventDefinition<S> {
  if (!EVENT_NAME.test(definition.name)) throw new Error(`Event name "${definition.name}" must look like <module>.<EventName>, e.g. ordering.OrderPlaced`);
  if (!Number.isInteger(definition.version) || definition.version < 1) throw new Error(`Event ${definition.name} needs a version >= 1`);
  const checker = Compile(definition.schema);
  return {
    ...definition,
    assertValid(payload) {
      if (checker.Check(payload)) return;
      throw new EventPayloadError(
        `${definition.name} v${definition.version}`,
        checker.Errors(payload).map((error) => ({ path: error.instancePath, message: error.message })),
      );
    },
  };
}

/** The module that owns an event: the part of its name before the dot. */
export function producerOf(event: Pick<EventDefinition, 'name'>): string {
  return event.name.slice(0, event.name.indexOf('.'));
}
