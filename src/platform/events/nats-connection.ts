import { jetstream, jetstreamManager, JetStreamApiError, DiscardPolicy, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

/** How long a stream remembers message ids (`Nats-Msg-Id`) to drop a second publish of the same event. */
export const DUPLICATE_WINDOW_MS = 120_000;
/** Waiting between attempts to reach NATS for the first time; afterwards the client reconnects by itself. */
const FIRST_CONNECT_RETRY_MS = 1000;

/** `SEAMS_<MODULE>`: the stream that holds one producing module's events. */
export function streamName(producer: string): string {
  return `SEAMS_${producer.toUpperCase().replaceAll('-', '_')}`;
}

/** The header that says how many partitions the relay spread an event's subjects over (see {@link subjectOf}). */
export const PARTITIONS_HEADER = 'Seams-Partitions';

/**
 * `seams.<module>.<Event>.v<version>.<partition>`: event names start with their module, so the stream's
 * `seams.<module>.>` holds them. The partition is the key's (the event id's, without a key) hash modulo
 * EVENTS_NATS_PARTITIONS, the same hash the subscription workers partition by: every event of one key is on one
 * partition's subjects, and a receiver per partition keeps their order while the partitions move in parallel.
 */
export function subjectOf(event: string, version: number, partition: number): string {
  return `seams.${event}.v${version}.${partition}`;
}

/** `seams.<module>.<Event>.*.<partition>`: every version of an event on one partition, what one receiver takes. */
export function subjectsOfPartition(event: string, partition: number): string {
  return `seams.${event}.*.${partition}`;
}

export function streamConfig(producer: string, retentionMs: number): Partial<StreamConfig> & { name: string } {
  // max_age 0 means "keep forever" to NATS; the duplicate window may not exceed max_age.
  const maxAgeMs = retentionMs > 0 ? Math.max(retentionMs, 1000) : 0;
  return {
    name: streamName(producer),
    subjects: [`seams.${producer}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(maxAgeMs),
    duplicate_window: nanos(maxAgeMs > 0 ? Math.min(DUPLICATE_WINDOW_MS, maxAgeMs) : DUPLICATE_WINDOW_MS),
  };
}

/** Creates the producer's stream, or brings its settings up to date (`update` false: only creates a missing one). */
export async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }, update: boolean): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    try {
      await jsm.streams.add(config);
      return;
    } catch (raced) {
      // Another process created it a moment ago; fall through and align its settings.
      if (!(raced instanceof JetStreamApiError)) throw raced;
    }
  }
  if (update) await jsm.streams.update(config.name, config);
}

export function isNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && (error.status === 404 || /not found/i.test(error.message));
}

export interface NatsLinkOptions {
  /** NATS_URL: one or more comma-separated `nats://` URLs. */
  readonly url: string;
  /** Shown in the server's connection list. */
  readonly name: string;
  readonly logger: Logger;
}

/**
 * The process's one NATS connection, for the relays and receivers. Start-up never waits for it: events commit to the
 * outbox whether NATS is there or not. It keeps trying to connect in the background, and once connected the client
 * reconnects by itself for ever. `onConnected` listeners run on every (re)connect, so relays resume at once.
 */
export class NatsLink {
  readonly #o: NatsLinkOptions;
  readonly #listeners: Array<() => void> = [];
  readonly #waiting: Array<(nc: NatsConnection) => void> = [];
  #nc: NatsConnection | undefined;
  /** Made once per connection: the relay asked for one per batch, and building it (with its API objects) showed in its profile. */
  #js: JetStreamClient | undefined;
  #connected = false;
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: NatsLinkOptions) {
    this.#o = options;
  }

  /** Runs `listener` whenever the connection is (re)established. */
  onConnected(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Connected right now: publishing has a chance. */
  get connected(): boolean {
    return this.#connected && this.#nc !== undefined && !this.#nc.isClosed();
  }

  /** The connection, once there is one; while NATS is down after that, the client buffers and reconnects. */
  get connection(): NatsConnection | undefined {
    return this.#nc;
  }

  jetstream(): JetStreamClient | undefined {
    if (!this.#nc) return undefined;
    this.#js ??= jetstream(this.#nc);
    return this.#js;
  }

  manager(): Promise<JetStreamManager> {
    if (!this.#nc) throw new Error('NATS is not connected yet');
    return jetstreamManager(this.#nc);
  }

  /** Resolves with the connection once it exists (at once if it does). */
  ready(): Promise<NatsConnection> {
    if (this.#nc) return Promise.resolve(this.#nc);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  start(): void {
    void this.#connect();
  }

  /** Flushes what is pending and closes; listeners and waiters are dropped. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    const nc = this.#nc;
    if (!nc || nc.isClosed()) return;
    await nc.drain().catch(() => nc.close());
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const servers = this.#o.url.split(',').map((server) => server.trim()).filter(Boolean);
    try {
      // Fails fast while NATS is down (we retry here, so stop() can end it); once connected, reconnects for ever.
      const nc = await connect({ servers, name: this.#o.name, maxReconnectAttempts: -1, reconnectTimeWait: 500, timeout: 2000 });
      if (this.#stopped) {
        await nc.close();
        return;
      }
      this.#nc = nc;
      this.#js = undefined;
      this.#connected = true;
      this.#o.logger.info({ server: nc.getServer() }, 'connected to NATS');
      void this.#watch(nc);
      for (const resolve of this.#waiting.splice(0)) resolve(nc);
      this.#notify();
    } catch (error) {
      this.#o.logger.warn({ err: error, url: this.#o.url }, 'NATS is not reachable; events that cross processes wait in the outbox until it is');
      this.#retry = setTimeout(() => void this.#connect(), FIRST_CONNECT_RETRY_MS);
      this.#retry.unref();
    }
  }

  async #watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.#connected = false;
        if (!this.#stopped) this.#o.logger.warn('lost the NATS connection; reconnecting, events wait in the outbox meanwhile');
      } else if (status.type === 'reconnect') {
        this.#connected = true;
        this.#o.logger.info('reconnected to NATS');
        this.#notify();
      }
    }
    this.#connected = false;
  }

  #notify(): void {
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch (error) {
        this.#o.logger.warn({ err: error }, 'a NATS connection listener threw');
      }
    }
  }
}
