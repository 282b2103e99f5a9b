import { randomUUID } from 'node:crypto';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import pg from 'pg';
import type { Logger } from 'pino';
import { DEFAULT_CONNECT_TIMEOUT_MS, type DatabaseAvailability } from '../db/database-availability.ts';
import { isDatabaseUnavailable } from '../db/database-unavailable.ts';
import type { Clock } from '../clock.ts';
import type { EventMetrics } from './event-metrics.ts';
import type { SubscriptionWorker } from './subscription-worker.ts';

const CHANNEL = 'seams_events';
/** Other instances hear of new events at most this often per producer: a NOTIFY per transaction halves the write rate. */
const NOTIFY_COALESCE_MS = 5;
/** How long to wait before looking again when an open transaction hides newer events; doubles up to the poll interval. */
const HIDDEN_RECHECK_MS = 1;
/**
 * For this long after events were first found hidden, look again at least this often. What hides them is nearly
 * always another short transaction (another worker's batch, a request's write), over in milliseconds; doubling all
 * the way to the poll interval left events waiting up to a second under steady load. Past that, something holds a
 * long transaction, and the recheck backs off to the poll interval.
 */
const HIDDEN_RECHECK_FAST_MS = 10;
const HIDDEN_FAST_FOR_MS = 1000;
/**
 * For this long after events were first found hidden, look again every HIDDEN_RECHECK_MS before the delay starts to
 * double. The usual blocker is a batch of another process on the same server (its transaction id is in every
 * snapshot until its commit's flush is over, a few ms); rechecks at 1, 2 and 4 ms after one another left an event
 * behind it waiting up to 4 ms past that end, where the whole publish → handler path takes about 3 ms.
 */
const HIDDEN_STEADY_FOR_MS = 5;
const LISTEN_RECONNECT_MS = 1000;
/**
 * While the database is away, a worker tries again at most this often: cheap (the connection is refused at once), and
 * the outage's end wakes every worker anyway (DatabaseAvailability.onRecovered).
 */
const UNAVAILABLE_RETRY_MAX_MS = 2000;
/**
 * Under steady load a worker woken during a batch runs the next one at once, so a batch holds only what committed while
 * the last one ran, and every batch costs a commit. When the last batch held at least this many events (a rate far
 * above a few hundred a second) and took at most COALESCE_MAX_MS, the next one waits as long as the last one took and
 * takes about twice as many. A slower batch means the worker's own work per event is what limits it (an overloaded
 * machine): waiting then would halve the rate it can keep up with, so it does not wait. Single events never wait.
 */
const COALESCE_FROM_EVENTS = 8;
const COALESCE_MAX_MS = 5;
/** The listening connections' application_name: how an instance finds out whether any other instance listens. */
const LISTENER_APPLICATION = 'seams:events-listen';

/** The bus's name for a module's `seams_received` log (module names cannot contain a colon). */
export function receivedLog(module: string): string {
  return `received:${module}`;
}

/** What the bus schedules: a subscription worker, or a relay that reads an outbox the same way. */
export type BatchRunner = Pick<SubscriptionWorker, 'module' | 'subscription' | 'runBatch'>;

/** What carries events to and from other processes (NATS); started and stopped with the bus. */
export interface EventTransport {
  start(): void;
  /** Called after the bus's own runners stopped, before the databases close. */
  stop(): Promise<void>;
}

export interface EventBusOptions {
  /**
   * `producer` is the log a runner reads, and what wakes it: a producing module's name for its outbox, or
   * {@link receivedLog} of a module for what arrived from other processes.
   */
  readonly workers: readonly { readonly producer: string; readonly worker: BatchRunner }[];
  readonly transport?: EventTransport;
  /** A superuser-ish connection string, for LISTEN/NOTIFY between instances. */
  readonly adminUrl: string;
  /** Fallback poll, for notifications that never came (e.g. while the listening connection was down). */
  readonly pollIntervalMs: number;
  readonly metrics: EventMetrics;
  readonly logger: Logger;
  /** Told of connections that fail because the database is away, which it then logs once per outage. */
  readonly availability?: DatabaseAvailability;
  /** When it jumps (a test clock moved forward), every worker looks at once for events that became due. */
  readonly clock?: Clock;
}

/**
 * Something may have changed in the event logs: a local commit published events, another instance or NATS told of
 * new ones, or a subscription's batch committed what its handler did. For observers such as the test harness's
 * scenarios, which look again at each signal instead of polling.
 */
export type EventActivityListener = () => void;

/**
 * Decides when each subscription worker runs. Delivery is pushed: a commit that published events wakes the local
 * workers of that producer at once, and other instances through one coalesced NOTIFY. Polling is only the fallback.
 * A worker never runs twice at a time in one process; the advisory lock keeps it to one place across instances.
 */
export class EventBus {
  readonly #o: EventBusOptions;
  readonly #instance = randomUUID();
  readonly #schedulers: WorkerScheduler[];
  #listener: pg.Client | undefined;
  /** The listening connection's backend, which does not count as another instance. */
  #listenerPid: number | undefined;
  #notifier: pg.Pool | undefined;
  #pendingNotify = new Set<string>();
  #notifyTimer: NodeJS.Timeout | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  /**
   * Whether another instance listens on this database. A NOTIFY assigns a transaction id and costs a commit (an fsync),
   * so with nobody to hear it (one instance, the common case) it is not sent. Looked up on every poll; an instance
   * that starts listening says so at once (an empty notification), and until the first look-up it is assumed.
   */
  #othersListen = true;
  #looking = false;
  /** Counts notifications heard from other instances: a look-up that began before the latest one is out of date. */
  #heard = 0;
  /** Every log that changed here: what an instance that starts listening is told to look at (see #setOthersListen). */
  readonly #changedLogs = new Set<string>();
  #stopped = false;
  readonly #activity = new Set<EventActivityListener>();
  #stopClockListener: (() => void) | undefined;

  constructor(options: EventBusOptions) {
    this.#o = options;
    this.#schedulers = options.workers.map(({ producer, worker }) => new WorkerScheduler(producer, worker, options, () => this.#signal()));
  }

  /** Calls `listener` at each {@link EventActivityListener} signal until the returned function is called. */
  onActivity(listener: EventActivityListener): () => void {
    this.#activity.add(listener);
    return () => void this.#activity.delete(listener);
  }

  #signal(): void {
    for (const listener of this.#activity) listener();
  }

  async start(): Promise<void> {
    this.#stopClockListener = this.#o.clock?.onJump(() => this.wakeAll());
    this.#notifier = new pg.Pool({ connectionString: this.#o.adminUrl, max: 1, application_name: 'seams:events-notify', connectionTimeoutMillis: this.#connectTimeoutMs });
    this.#notifier.on('error', (error) => {
      if (!this.#outage(error)) this.#o.logger.warn({ err: error }, 'event notifier connection failed');
    });
    // Even with no runner of its own: to hear that another instance started listening (see #othersListen).
    await this.#listen();
    this.#pollTimer = setInterval(() => {
      this.wakeAll();
      void this.#lookForListeners();
    }, this.#o.pollIntervalMs);
    this.#pollTimer.unref();
    this.#o.transport?.start();
    this.wakeAll();
    void this.#lookForListeners();
  }

  /** Called after a local transaction that published `events` events of `producer` committed. */
  published(producer: string, events: number): void {
    this.#o.metrics.published.add(events, { module: producer });
    this.logChanged(producer);
  }

  /** Wakes the runners of a log here at once, and in other instances through the coalesced NOTIFY. */
  logChanged(producer: string): void {
    this.#wake(producer);
    this.#changedLogs.add(producer);
    this.#signal();
    if (!this.#othersListen) return;
    this.#pendingNotify.add(producer);
    // Outside the trace of whichever request happened to commit: the notification serves every trace at once.
    this.#notifyTimer ??= context.with(ROOT_CONTEXT, () => setTimeout(() => void this.#notifyOthers(), NOTIFY_COALESCE_MS));
  }

  wakeAll(): void {
    for (const scheduler of this.#schedulers) scheduler.wake();
  }

  /** Waits for running batches to finish; no new batch starts. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopClockListener?.();
    clearInterval(this.#pollTimer);
    clearTimeout(this.#notifyTimer);
    await Promise.all(this.#schedulers.map((scheduler) => scheduler.stop()));
    await this.#o.transport?.stop();
    await this.#listener?.end().catch(() => undefined);
    await this.#notifier?.end().catch(() => undefined);
  }

  get #connectTimeoutMs(): number {
    return this.#o.availability?.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  /** True when the error means the database is away: then DatabaseAvailability has said so, once. */
  #outage(error: unknown): boolean {
    return this.#o.availability ? this.#o.availability.failed(this.#o.adminUrl, error) : false;
  }

  #wake(producer: string): void {
    for (const scheduler of this.#schedulers) if (scheduler.producer === producer) scheduler.wake();
  }

  async #notifyOthers(): Promise<void> {
    this.#notifyTimer = undefined;
    const producers = [...this.#pendingNotify];
    this.#pendingNotify.clear();
    await this.#notify(producers);
  }

  async #notify(producers: readonly string[]): Promise<void> {
    if (this.#stopped || !this.#notifier) return;
    try {
      // A notification is only a hint (whoever misses one finds the events on its next poll), so its commit does not
      // wait for the WAL flush: a NOTIFY takes a transaction id, and while a flush held it open every reader's
      // visibility horizon stopped below it, in this process and in every other one on the server.
      await this.#notifier.query(`select set_config('synchronous_commit', 'off', true), pg_notify($1, $2)`, [CHANNEL, JSON.stringify({ from: this.#instance, producers })]);
    } catch (error) {
      // Other instances still find the events on their next poll.
      if (!this.#outage(error)) this.#o.logger.warn({ err: error }, 'could not notify other instances of new events');
    }
  }

  /**
   * When another instance is found listening while none was: it may have read the logs just before a commit here that
   * was not notified (nobody listened then), so it is told to look at every log that changed here.
   */
  #setOthersListen(value: boolean): void {
    const newcomer = value && !this.#othersListen;
    this.#othersListen = value;
    if (newcomer && this.#changedLogs.size > 0) void this.#notify([...this.#changedLogs]);
  }

  /** Whether a listening connection other than ours is open on this database (see #othersListen). */
  async #lookForListeners(): Promise<void> {
    if (this.#stopped || !this.#notifier || this.#looking) return;
    this.#looking = true;
    const heard = this.#heard;
    try {
      const { rows } = await this.#notifier.query<{ others: boolean }>(
        `select exists (select 1 from pg_stat_activity where datname = current_database() and application_name = $1
                        and pid is distinct from $2::int) as others`,
        [LISTENER_APPLICATION, this.#listenerPid ?? null],
      );
      // An instance whose hello came in while the look-up ran may have connected after pg_stat_activity was read.
      if (this.#heard === heard) this.#setOthersListen(rows[0]?.others ?? true);
    } catch (error) {
      this.#setOthersListen(true);
      if (!this.#outage(error)) this.#o.logger.warn({ err: error }, 'could not see whether other instances listen for events; notifying them anyway');
    } finally {
      this.#looking = false;
    }
  }

  async #listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#o.adminUrl, application_name: LISTENER_APPLICATION, connectionTimeoutMillis: this.#connectTimeoutMs });
    const retry = () => {
      if (this.#stopped) return;
      this.#listener = undefined;
      setTimeout(() => void this.#listen().catch(() => undefined), LISTEN_RECONNECT_MS).unref();
    };
    client.on('error', (error) => {
      if (!this.#outage(error)) this.#o.logger.warn({ err: error }, 'event listener connection lost; polling until it is back');
      retry();
    });
    client.on('notification', (message) => {
      if (!message.payload) return;
      const { from, producers } = JSON.parse(message.payload) as { from: string; producers: string[] };
      if (from === this.#instance) return;
      this.#heard += 1;
      this.#setOthersListen(true);
      for (const producer of producers) this.#wake(producer);
      this.#signal();
    });
    try {
      await client.connect();
      await client.query(`listen ${CHANNEL}`);
      this.#listenerPid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      this.#listener = client;
      // Anything published while we were not listening.
      this.wakeAll();
      // Tells the instances already running that someone listens now, so they notify from now on.
      await this.#notify([]);
    } catch (error) {
      if (!this.#outage(error)) this.#o.logger.warn({ err: error }, 'could not listen for events from other instances; polling');
      await client.end().catch(() => undefined);
      retry();
    }
  }
}

/** Runs one worker: at most one batch at a time, again at once while there is more, and on timers for the rest. */
class WorkerScheduler {
  readonly producer: string;
  readonly #worker: BatchRunner;
  readonly #o: EventBusOptions;
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #hiddenDelay = HIDDEN_RECHECK_MS;
  #hiddenSince: number | undefined;
  #failures = 0;
  #stopped = false;
  readonly #changed: () => void;
  readonly #reading = (): void => {
    this.#again = false;
  };

  constructor(producer: string, worker: BatchRunner, options: EventBusOptions, changed: () => void) {
    this.producer = producer;
    this.#worker = worker;
    this.#o = options;
    this.#changed = changed;
  }

  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    // The loop outlives the caller and serves every trace, so it runs outside the caller's trace context. Otherwise the
    // bookkeeping SQL of every batch it runs (lock, cursor, commit) lands in the trace of the request that woke it.
    // Handler spans still join their event's trace, from the context stored with the event.
    this.#running = context.with(ROOT_CONTEXT, () => this.#loop()).finally(() => {
      this.#running = undefined;
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      try {
        const started = performance.now();
        // A wake-up before the batch's read is covered by it: its commit came before the read's snapshot. Only one
        // after that calls for another batch; counting all of them made a third of the batches under load read nothing.
        const outcome = await this.#worker.runBatch(this.#reading);
        const took = performance.now() - started;
        this.#failures = 0;
        if (outcome.changed) this.#changed();
        if (outcome.full) this.#again = true;
        else if (this.#again && (outcome.events ?? 0) >= COALESCE_FROM_EVENTS && took <= COALESCE_MAX_MS) {
          await new Promise((resolve) => setTimeout(resolve, took));
        }
        if (outcome.hiddenBehindOpenTransaction) {
          this.#hiddenSince ??= Date.now();
          const longHidden = Date.now() - this.#hiddenSince >= HIDDEN_FAST_FOR_MS;
          // A wake-up after the read runs the next batch at once, which looks again anyway. Under load a commit lands
          // during nearly every batch (it is the "hidden" event the closing statement finds): the recheck timer then
          // ran a batch a millisecond after that one, which found nothing.
          if (!this.#again) this.#after(this.#hiddenDelay);
          const steady = Date.now() - this.#hiddenSince < HIDDEN_STEADY_FOR_MS;
          if (!steady) this.#hiddenDelay = Math.min(this.#hiddenDelay * 2, longHidden ? this.#o.pollIntervalMs : Math.min(HIDDEN_RECHECK_FAST_MS, this.#o.pollIntervalMs));
        } else {
          this.#hiddenDelay = HIDDEN_RECHECK_MS;
          this.#hiddenSince = undefined;
        }
        if (outcome.nextRetryInMs !== undefined) this.#after(outcome.nextRetryInMs);
      } catch (error) {
        this.#failures += 1;
        if (isDatabaseUnavailable(error)) {
          // Told once per outage by DatabaseAvailability; the outage's end wakes this worker at once.
          this.#after(Math.min(UNAVAILABLE_RETRY_MAX_MS, 100 * 2 ** Math.min(this.#failures, 5)));
          return;
        }
        this.#o.logger.error({ err: error, module: this.#worker.module, subscription: this.#worker.subscription }, 'event delivery batch failed');
        this.#after(Math.min(this.#o.pollIntervalMs, 50 * 2 ** Math.min(this.#failures, 6)));
        return;
      }
    } while (this.#again && !this.#stopped);
  }

  /** Wakes the worker after `ms`, unless an earlier wake-up is already set. */
  #after(ms: number): void {
    const at = Date.now() + ms;
    if (this.#timer && this.#timerAt <= at) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.wake();
    }, ms);
    this.#timer.unref();
  }
}
