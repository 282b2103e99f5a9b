import type { Transaction } from 'kysely';
import type { EventDefinition, EventPayload } from './event-definition.ts';

/** An event as a subscriber receives it. */
export interface DeliveredEvent<P = unknown> {
  readonly id: string;
  readonly name: string;
  /** The version the subscription takes, which `payload` has: the bus converted it if it was stored as another. */
  readonly version: number;
  readonly key: string | null;
  readonly payload: P;
  readonly occurredAt: Date;
  /** 1 on first delivery; higher on retries. */
  readonly attempt: number;
  /**
   * Runs `callback` once the handler's transaction has committed, and never if it rolls back: for effects outside
   * the database that must follow the commit, such as business counters.
   */
  afterCommit(callback: () => void): void;
}

/**
 * Handles one event inside the subscriber's transaction. Everything it writes through `trx`, and every event it
 * publishes with it, commits together with the inbox entry that marks the event handled: all or nothing.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventHandler<P = unknown> = (event: DeliveredEvent<P>, trx: Transaction<any>) => Promise<void>;

/**
 * A subscription in a module's manifest: which event, in which version (the definition it names), and the factory of
 * its handler. By convention it is declared in `modules/<module>/events/on-<producer>-<event>.ts` (docs/events.md).
 */
export interface SubscriptionDefinition<E extends EventDefinition = EventDefinition> {
  /** The event in the version the handler takes: events stored in another version are converted on delivery. */
  readonly event: E;
  /**
   * Unique within the module; defaults to the event's name. It names the subscription's cursor, inbox and dead
   * letters, so moving the subscription to another version of the event keeps them: it carries on where it was.
   */
  readonly name: string;
  /** Receives the module's dependencies, like any registration, and returns the handler. */
  readonly handler: (deps: never) => EventHandler<EventPayload<E>>;
  /** Parallel readers for this subscription, by hash of the event key. Order holds within a key. */
  readonly partitions: number;
}

export function subscribe<E extends EventDefinition>(
  event: E,
  handler: (deps: never) => EventHandler<EventPayload<E>>,
  options: { name?: string; partitions?: number } = {},
): SubscriptionDefinition<E> {
  const partitions = options.partitions ?? 1;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 64) throw new Error(`Subscription to ${event.name}: partitions must be 1..64`);
  return { event, handler, name: options.name ?? event.name, partitions };
}
