import { sql, type Kysely } from 'kysely';
import { parseDuration } from '../clock.ts';
import { schemaName } from '../db/database-names.ts';
import { ident } from '../db/provision.ts';
import { producerOf, type EventDefinition, type EventPayload } from '../events/event-definition.ts';
import type { Publisher } from '../events/publisher.ts';
import type { AnyModule } from '../modules/define-module.ts';

/** What a scenario needs of a running app: its bus's signals, its local modules and a way into their event tables. */
export interface ScenarioApp {
  readonly bus: { onActivity(listener: () => void): () => void };
  readonly local: readonly AnyModule[];
  readonly platformDbOf: (module: string) => Kysely<unknown>;
  readonly viewOf: (module: string) => Record<string, unknown>;
}

/** An event as a scenario saw it, in an outbox here or as it arrived over NATS. */
export interface SeenEvent<P = unknown> {
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly payload: P;
  /** Where it was seen: `<schema>.seams_outbox` or `<schema>.seams_received`. */
  readonly log: string;
}

/** How far each log was at a moment: events after it are "since". */
type Mark = ReadonlyMap<string, string>;

const DEFAULT_TIMEOUT = '5s';

/** Where an event's payload must match; shown in failure messages by its source text. */
export type Where<P> = (payload: P) => boolean;

/**
 * Spring Modulith's Scenario for Seams: stimulate the system (an HTTP call, an API call, an event), then wait for the
 * event or the state change that should follow. Waiting is driven by the event bus's own signals (a commit that
 * published, a batch a subscriber committed, an event that arrived over NATS): each signal looks again, and a
 * timeout fails with every event of that name and version that did arrive, with its payload. No sleeps, no polling.
 */
export class Scenario {
  readonly #app: () => ScenarioApp;
  #mark: Mark = new Map();

  constructor(app: () => ScenarioApp) {
    this.#app = app;
  }

  /** Makes "now" the start of what {@link expectPublished} looks at. The harness calls it before each test. */
  async mark(): Promise<void> {
    this.#mark = await this.#positions();
  }

  /** Runs `action` (an HTTP call, a use case …) once the wait that follows has started. */
  stimulate(action: () => unknown): Stimulus {
    return new Stimulus(this, action);
  }

  /**
   * Publishes `event` as its producer would, through the producer's own publisher in a transaction of its database.
   * The producer must run in this app: a real module, or a stub of one (`useModule(…, { dependencies: 'stubbed' })`).
   */
  publish<E extends EventDefinition>(event: E, payload: EventPayload<E>): Stimulus {
    return new Stimulus(this, () => this.#publish(event, payload));
  }

  /** The events of `event`'s name and version published (or received) since the test began, oldest first. */
  async published<E extends EventDefinition>(event: E): Promise<SeenEvent<EventPayload<E>>[]> {
    return this.eventsSince(this.#mark, event);
  }

  /** Fails unless an event of `event`'s name and version matching `where` was published since the test began. */
  async expectPublished<E extends EventDefinition>(event: E, where: Where<EventPayload<E>> = () => true): Promise<EventPayload<E>> {
    const seen = await this.published(event);
    const match = seen.find((candidate) => where(candidate.payload));
    if (!match) throw new Error(`Expected ${describeEvent(event)}${describeWhere(where)} to have been published; it was not. ${listSeen(event, seen)}`);
    return match.payload;
  }

  /**
   * Fails if an event of `event`'s name and version matching `where` was published since the test began. It looks
   * once: call it after waiting for what comes after the event that must not be there.
   */
  async expectNotPublished<E extends EventDefinition>(event: E, where: Where<EventPayload<E>> = () => true): Promise<void> {
    const seen = await this.published(event);
    const matching = seen.filter((candidate) => where(candidate.payload));
    if (matching.length > 0) throw new Error(`Expected no ${describeEvent(event)}${describeWhere(where)} to have been published; found ${listSeen(event, matching)}`);
  }

  /** @internal Runs `check` now and at each bus signal until it yields a value, or fails with `onTimeout`'s message. */
  async waitFor<T>(action: () => unknown, check: () => Promise<T | undefined>, timeout: string | number, onTimeout: () => Promise<string>): Promise<T> {
    const ms = parseDuration(timeout);
    const bus = this.#app().bus;
    return new Promise<T>((resolve, reject) => {
      let done = false;
      let checking = false;
      let again = false;
      const finish = (outcome: () => void) => {
        if (done) return;
        done = true;
        stopListening();
        clearTimeout(timer);
        outcome();
      };
      const look = async (): Promise<void> => {
        if (done) return;
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        try {
          do {
            again = false;
            const value = await check();
            if (value !== undefined) return finish(() => resolve(value));
          } while (again && !done);
        } catch (error) {
          finish(() => reject(error));
        } finally {
          checking = false;
        }
      };
      const stopListening = bus.onActivity(() => void look());
      const timer = setTimeout(() => {
        void onTimeout().then(
          (message) => finish(() => reject(new Error(message))),
          (error: unknown) => finish(() => reject(error)),
        );
      }, ms);
      Promise.resolve()
        .then(action)
        .then(() => look(), (error: unknown) => finish(() => reject(error)));
    });
  }

  /** @internal */
  async positions(): Promise<Mark> {
    return this.#positions();
  }

  /** @internal Events of `event`'s name and version in every log here, after `mark`, oldest first per log. */
  async eventsSince<E extends EventDefinition>(mark: Mark, event: E): Promise<SeenEvent<EventPayload<E>>[]> {
    const seen = new Map<string, SeenEvent<EventPayload<E>>>();
    for (const log of this.#logs(event)) {
      const { rows } = await sql<{ id: string; payload: EventPayload<E> }>`select id, payload from ${sql.raw(log.table)}
        where name = ${event.name} and version = ${event.version} and seq > ${mark.get(log.table) ?? '0'}::bigint order by xid, seq`.execute(log.db);
      for (const row of rows) if (!seen.has(row.id)) seen.set(row.id, { id: row.id, name: event.name, version: event.version, payload: row.payload, log: log.table });
    }
    return [...seen.values()];
  }

  /** The logs an event can be seen in: its producer's outbox if the producer runs here, and every local module's received events. */
  #logs(event?: EventDefinition): Array<{ table: string; db: Kysely<unknown> }> {
    const app = this.#app();
    const producer = event && producerOf(event);
    return app.local.flatMap((module) => {
      const schema = ident(schemaName(module.name));
      const db = app.platformDbOf(module.name);
      const tables = [`${schema}.seams_received`];
      if (!event || module.name === producer) tables.unshift(`${schema}.seams_outbox`);
      return tables.map((table) => ({ table, db }));
    });
  }

  async #positions(): Promise<Mark> {
    const positions = new Map<string, string>();
    for (const log of this.#logs()) {
      const { rows } = await sql<{ seq: string | null }>`select max(seq)::text as seq from ${sql.raw(log.table)}`.execute(log.db);
      positions.set(log.table, rows[0]?.seq ?? '0');
    }
    return positions;
  }

  async #publish<E extends EventDefinition>(event: E, payload: EventPayload<E>): Promise<void> {
    const producer = producerOf(event);
    const app = this.#app();
    if (!app.local.some((module) => module.name === producer)) {
      throw new Error(`Cannot publish ${event.name}: its producer "${producer}" does not run in this app (add it, or stub it with dependencies: 'stubbed')`);
    }
    const view = app.viewOf(producer);
    const db = view.db as Kysely<unknown>;
    const events = view.events as Publisher;
    await db.transaction().execute((trx) => events.publish(trx, event, payload));
  }
}

/** A stimulus not yet run: what to wait for decides when it runs (right after the wait has started). */
export class Stimulus {
  readonly #scenario: Scenario;
  readonly #action: () => unknown;

  constructor(scenario: Scenario, action: () => unknown) {
    this.#scenario = scenario;
    this.#action = action;
  }

  /** Waits for an event of `event`'s name and version, published after the stimulus, whose payload matches `where`. */
  andWaitForEvent<E extends EventDefinition>(event: E, where: Where<EventPayload<E>> = () => true): Wait<EventPayload<E>> {
    return new Wait(async (timeout) => {
      const mark = await this.#scenario.positions();
      return this.#scenario.waitFor(
        this.#action,
        async () => (await this.#scenario.eventsSince(mark, event)).find((seen) => where(seen.payload))?.payload,
        timeout,
        async () =>
          `Expected ${describeEvent(event)}${describeWhere(where)} within ${describeTimeout(timeout)}; none arrived. ` +
          listSeen(event, await this.#scenario.eventsSince(mark, event)),
      );
    });
  }

  /**
   * Waits until `read()` (a repository lookup, an HTTP GET …) returns a value `until` accepts (by default: any
   * value but undefined, null or false), looking again at each signal of the bus. Resolves with that value.
   */
  andWaitForStateChange<T>(read: () => Promise<T> | T, until: (value: T) => boolean = (value) => value !== undefined && value !== null && value !== false): Wait<T> {
    return new Wait(async (timeout) => {
      let last: { value: T } | undefined;
      return this.#scenario.waitFor(
        this.#action,
        async () => {
          const value = await read();
          last = { value };
          return until(value) ? { value } : undefined;
        },
        timeout,
        async () =>
          `Expected the state to change${describeWhere(until, ' so that ')} within ${describeTimeout(timeout)}; ` +
          (last ? `the last read gave ${JSON.stringify(last.value)}` : 'it was never read'),
      ).then(({ value }) => value);
    });
  }
}

/**
 * A wait that has not started: awaited as it is, it allows 5 s; `toArriveWithin` (for an event) or `within` (for a
 * state) sets the limit. The stimulus runs when the wait starts.
 */
export class Wait<T> implements PromiseLike<T> {
  readonly #run: (timeout: string | number) => Promise<T>;
  constructor(run: (timeout: string | number) => Promise<T>) {
    this.#run = run;
  }
  /** Resolves with the matching event's payload, or fails after `timeout` listing what arrived instead. */
  toArriveWithin(timeout: string | number): Promise<T> {
    return this.#run(timeout);
  }
  /** Resolves with the value that satisfied the predicate, or fails after `timeout` with the last value read. */
  within(timeout: string | number): Promise<T> {
    return this.#run(timeout);
  }
  then<R1 = T, R2 = never>(onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null, onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null): Promise<R1 | R2> {
    return this.#run(DEFAULT_TIMEOUT).then(onFulfilled, onRejected);
  }
}

function describeEvent(event: EventDefinition): string {
  return `${event.name} v${event.version}`;
}

function describeWhere(where: (value: never) => boolean, prefix = ' matching '): string {
  const source = where.toString();
  return source === '() => true' ? '' : `${prefix}${source}`;
}

function describeTimeout(timeout: string | number): string {
  return typeof timeout === 'number' ? `${timeout} ms` : timeout;
}

function listSeen(event: EventDefinition, seen: readonly SeenEvent[]): string {
  if (seen.length === 0) return `No ${describeEvent(event)} arrived at all.`;
  return `${describeEvent(event)} that did arrive (${seen.length}):\n${seen.map((one) => `  - ${JSON.stringify(one.payload)}`).join('\n')}`;
}
