import type { Transaction } from 'kysely';
import type { EventDefinition, EventPayload } from './events/event-definition.ts';
import type { Publisher } from './events/publisher.ts';

/**
 * Time as a dependency. Every module gets a clock (`clock` in its container view): `now()` for the present, and
 * `at(trx, when, Event, payload)` to have an event delivered at a moment in the future. The event is written to the
 * module's outbox in `trx` with that due time, so the deadline commits with the change that sets it, survives a
 * restart, and is handled once however many instances run (docs/events.md, "Events due later").
 *
 * Production uses {@link systemClock}; tests replace it with a test clock they move forward (src/platform/testing).
 */
export interface Clock {
  now(): Date;
  /**
   * Calls `listener` after time jumped forward (a test clock was advanced), so that whatever waits for a moment can
   * look again at once. The system clock never jumps. Returns the function that removes the listener.
   */
  onJump(listener: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => new Date(),
  onJump: () => () => undefined,
};

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration as people write it in tests and settings: `250ms`, `2s`, `16m`, `1h`, `1.5h`, or a number of ms. */
export function parseDuration(duration: string | number): number {
  if (typeof duration === 'number') return duration;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(duration);
  if (!match) throw new Error(`"${duration}" is not a duration: expected a number and a unit (ms, s, m, h, d), e.g. "2s" or "16m"`);
  return Number(match[1]) * UNITS[match[2]!]!;
}

/** The clock as a module sees it: the present, and events due at a later moment. */
export interface ModuleClock {
  now(): Date;
  /**
   * Publishes `event` (one of the module's own, often not in its contract) in `trx`, due at `when`: its subscribers,
   * typically the module itself, handle it once that moment has come. Durable, and handled once across instances.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  at<E extends EventDefinition>(trx: Transaction<any>, when: Date, event: E, payload: EventPayload<E>): Promise<string>;
}

export function moduleClock(clock: Clock, events: Publisher): ModuleClock {
  return {
    now: () => clock.now(),
    at: (trx, when, event, payload) => events.publish(trx, event, payload, { at: when }),
  };
}
