import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * An event a module publishes, declared in its `contract.ts`. The name is `<module>.<EventName>`; the version says
 * which payload shape it has. A version is frozen once its schema is snapshotted (`contracts/events/`); a change a
 * subscriber could trip over is a new version, declared `from` the one before with an upcaster (and, while some
 * subscriber still takes the old version, a downcaster). docs/events.md, "Changing an event".
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
  /** The version before this one, and how to turn its payloads into this one's and back; absent for the first. */
  readonly previous?: VersionStep;
  /** Throws {@link EventPayloadError} when the payload does not match the schema. */
  readonly assertValid: (payload: unknown) => void;
}

/** How version N of an event relates to version N-1: pure functions between their payloads. */
export interface VersionStep {
  readonly event: EventDefinition;
  /** Version N-1's payload as version N's. */
  readonly upcast: (payload: unknown) => unknown;
  /** Version N's payload as version N-1's; needed while some subscriber still takes N-1. */
  readonly downcast: ((payload: unknown) => unknown) | undefined;
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

interface EventFields<S extends TSchema> {
  name: string;
  version: number;
  schema: S;
  description: string;
  key?: (payload: Static<S>) => string;
}

/** A later version of an event: `from` is the definition of the version before, which stays exported. */
interface EventEvolution<S extends TSchema, P extends EventDefinition> extends EventFields<S> {
  from: P;
  /** Pure: the old payload as the new version's, filling what the old version did not carry. */
  upcast: (payload: EventPayload<P>) => Static<S>;
  /** Pure: the new payload as the old version's, for subscribers that still take it. */
  downcast?: (payload: Static<S>) => EventPayload<P>;
}

export function defineEvent<const S extends TSchema, P extends EventDefinition>(definition: EventEvolution<S, P>): EventDefinition<S>;
export function defineEvent<const S extends TSchema>(definition: EventFields<S>): EventDefinition<S>;
export function defineEvent<const S extends TSchema>(definition: EventFields<S> & Partial<EventEvolution<S, EventDefinition>>): EventDefinition<S> {
  const { name, version, schema, description, key, from, upcast, downcast } = definition;
  if (!EVENT_NAME.test(name)) throw new Error(`Event name "${name}" must look like <module>.<EventName>, e.g. ordering.OrderPlaced`);
  if (!Number.isInteger(version) || version < 1) throw new Error(`Event ${name} needs a version >= 1`);
  if (from !== undefined) {
    if (from.name !== name || from.version !== version - 1) {
      throw new Error(`${name} v${version} must come from ${name} v${version - 1}, not from ${from.name} v${from.version}`);
    }
    if (typeof upcast !== 'function') throw new Error(`${name} v${version} comes from v${version - 1}, so it needs an upcast from v${version - 1}`);
  }
  const checker = Compile(schema);
  return {
    name,
    version,
    schema,
    description,
    ...(key ? { key } : {}),
    ...(from ? { previous: { event: from, upcast: upcast as VersionStep['upcast'], downcast: downcast as VersionStep['downcast'] } } : {}),
    assertValid(payload) {
      if (checker.Check(payload)) return;
      throw new EventPayloadError(
        `${name} v${version}`,
        checker.Errors(payload).map((error) => ({ path: error.instancePath, message: error.message })),
      );
    },
  };
}

/** The module that owns an event: the part of its name before the dot. */
export function producerOf(event: Pick<EventDefinition, 'name'>): string {
  return event.name.slice(0, event.name.indexOf('.'));
}
