import { AckPolicy, DeliverPolicy, type ConsumerConfig, type ConsumerMessages, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { DEFAULT_CONNECT_TIMEOUT_MS, type DatabaseAvailability } from '../db/database-availability.ts';
import { isDatabaseUnavailable } from '../db/database-unavailable.ts';
import { durableName, ensureStream, isNotFound, streamConfig, streamName, subjectsOfEvent, type NatsLink } from './nats-connection.ts';
import type { RelayedEvent } from './nats-relay.ts';

/** How long NATS waits for the ack of a delivered message before it delivers it again. */
export const ACK_WAIT_MS = 10_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;
/** How often an instance that does not hold a consumer's lease asks again (the holder may have died). */
const LEASE_RETRY_MS = 2000;

export interface NatsReceiverOptions {
  /** The subscriber's own database: its `seams_received`. */
  readonly db: Kysely<unknown>;
  readonly module: string;
  readonly subscription: string;
  readonly producer: string;
  readonly event: string;
  readonly version: number;
  readonly link: NatsLink;
  readonly leases: ReceiverLeases;
  readonly retentionMs: number;
  /** Called after a received event committed: wakes the workers that read `seams_received`. */
  readonly onReceived: () => void;
  readonly logger: Logger;
}

/** The durable consumer of one subscription on its producer's stream. */
export function consumerConfig(module: string, subscription: string, event: string): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: durableName(module, subscription),
    // Every version: the worker converts each to the one the subscription takes.
    filter_subject: subjectsOfEvent(event),
    deliver_policy: DeliverPolicy.All,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(ACK_WAIT_MS),
    max_deliver: -1,
    // One unacknowledged message at a time: NATS delivers the next only after the previous one's ack, which we send
    // after its row committed. That is what keeps per-key order across redeliveries and instances (docs/events.md).
    max_ack_pending: 1,
  };
}

/**
 * Moves one subscription's events from its durable JetStream consumer into the subscriber's `seams_received` table,
 * from where the subscription worker handles them as it would from an outbox (inbox, order, retries, dead letters).
 *
 * Each message is inserted in its own transaction (a duplicate event id inserts nothing) and acknowledged only after
 * that transaction committed; then the local workers are woken. If the insert fails, the message is not acknowledged
 * but nak'ed, and NATS delivers it again. Only one instance pulls a given consumer, the one that holds its session
 * advisory lock (see {@link ReceiverLeases}); the others ask again every few seconds.
 */
export class NatsReceiver {
  readonly #o: NatsReceiverOptions;
  readonly #durable: string;
  readonly #leaseKey: string;
  #messages: ConsumerMessages | undefined;
  #running: Promise<void> | undefined;
  #wait: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  #failures = 0;
  #stopped = false;

  constructor(options: NatsReceiverOptions) {
    this.#o = options;
    this.#durable = durableName(options.module, options.subscription);
    this.#leaseKey = `seams:receiver:${options.module}:${options.subscription}`;
    // A pull request open when the server went away may be gone with it; the client would notice only after missed
    // heartbeats. Starting the pull over on a reconnect resumes delivery at once.
    options.link.onConnected(() => void this.#messages?.close().catch(() => undefined));
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  /** Stops pulling; the message being stored is finished and acknowledged first. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#wait) {
      clearTimeout(this.#wait.timer);
      this.#wait.resolve();
    }
    await this.#messages?.close().catch(() => undefined);
    await this.#running;
    await this.#o.leases.release(this.#leaseKey);
  }

  async #loop(): Promise<void> {
    const o = this.#o;
    while (!this.#stopped) {
      try {
        await Promise.race([o.link.ready(), this.#sleep(LEASE_RETRY_MS)]);
        if (this.#stopped || !o.link.connection) continue;
        if (!(await o.leases.acquire(this.#leaseKey))) {
          await this.#sleep(LEASE_RETRY_MS);
          continue;
        }
        await this.#ensureConsumer(await o.link.manager());
        const consumer = await o.link.jetstream()!.consumers.get(streamName(o.producer), this.#durable);
        const messages = await consumer.consume({ max_messages: 16 });
        this.#messages = messages;
        if (this.#stopped) break;
        void (async () => {
          // A server that lost its state (no stream, no consumer) would keep this consume waiting for ever: start over.
          for await (const status of messages.status()) {
            if (status.type === 'consumer_not_found' || status.type === 'stream_not_found' || status.type === 'consumer_deleted') {
              await messages.close().catch(() => undefined);
            }
          }
        })().catch(() => undefined);
        for await (const message of this.#messages) {
          if (this.#stopped || !o.leases.holds(this.#leaseKey)) {
            // Handed back at once rather than after the ack wait; whoever holds the lease gets it next.
            message.nak();
            break;
          }
          await this.#receive(message);
        }
        await this.#messages.close().catch(() => undefined);
      } catch (error) {
        if (this.#stopped) break;
        this.#failures += 1;
        // A database outage is logged once, by DatabaseAvailability; this loop only waits it out.
        if (!isDatabaseUnavailable(error)) o.logger.warn({ err: error }, 'receiving events from NATS failed; trying again');
        await this.#sleep(Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.#failures, 8)));
      }
    }
  }

  /** Stores the event and acks it after the commit; on a database failure, nak with a delay so it comes back. */
  async #receive(message: JsMsg): Promise<void> {
    const o = this.#o;
    let event: RelayedEvent;
    try {
      event = message.json<RelayedEvent>();
    } catch (error) {
      // Not one of ours: there is nothing to store and nothing a redelivery would change.
      o.logger.error({ err: error, subject: message.subject, seq: message.seq }, 'dropping a NATS message that is not an event');
      message.term();
      return;
    }
    const trace: Record<string, string> = {};
    for (const field of ['traceparent', 'tracestate']) {
      const value = message.headers?.get(field);
      if (value) trace[field] = value;
    }
    try {
      await sql`insert into seams_received (id, producer, name, version, key, payload, trace, occurred_at)
        values (${event.id}::uuid, ${event.producer}, ${event.name}, ${event.version}, ${event.key}, ${JSON.stringify(event.payload)}::jsonb,
                ${JSON.stringify(trace.traceparent ? trace : null)}::jsonb, ${event.occurredAt}::timestamptz)
        on conflict (id) do nothing`.execute(o.db);
    } catch (error) {
      this.#failures += 1;
      const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.#failures, 8));
      if (!isDatabaseUnavailable(error)) o.logger.warn({ err: error, eventId: event.id, retryInMs: delay }, 'could not store an event received from NATS; NATS delivers it again');
      message.nak(delay);
      return;
    }
    this.#failures = 0;
    message.ack();
    o.onReceived();
  }

  async #ensureConsumer(jsm: JetStreamManager): Promise<void> {
    const o = this.#o;
    const stream = streamName(o.producer);
    // The producer's process creates and configures its stream; create it here only if it is missing, so that a
    // subscriber started first does not wait for it.
    await ensureStream(jsm, streamConfig(o.producer, o.retentionMs), false);
    const config = consumerConfig(o.module, o.subscription, o.event);
    try {
      await jsm.consumers.info(stream, this.#durable);
      await jsm.consumers.update(stream, this.#durable, { filter_subject: config.filter_subject, ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await jsm.consumers.add(stream, config);
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wait = undefined;
        resolve();
      }, ms);
      this.#wait = { timer, resolve };
    });
  }
}

/**
 * Session advisory locks that say which instance pulls which consumer, all on one connection: if it drops, every lease
 * goes with it (the receivers notice through {@link holds} and stop pulling) and is taken again on a new connection.
 */
export class ReceiverLeases {
  readonly #url: string;
  readonly #logger: Logger;
  readonly #held = new Set<string>();
  readonly #availability: DatabaseAvailability | undefined;
  #client: Promise<pg.Client> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(url: string, logger: Logger, availability?: DatabaseAvailability) {
    this.#url = url;
    this.#logger = logger;
    this.#availability = availability;
  }

  holds(key: string): boolean {
    return this.#held.has(key);
  }

  async acquire(key: string): Promise<boolean> {
    if (this.#held.has(key)) return true;
    const { rows } = await this.#query<{ ok: boolean }>('select pg_try_advisory_lock(hashtext($1)) as ok', [key]);
    if (rows[0]?.ok) this.#held.add(key);
    return this.#held.has(key);
  }

  async release(key: string): Promise<void> {
    if (!this.#held.delete(key) || !this.#client) return;
    await this.#query('select pg_advisory_unlock(hashtext($1))', [key]).catch(() => undefined);
  }

  /**
   * One query at a time on the shared connection: every receiver asks for its lease at start, and a pg client given a
   * query while one runs queues it with a DeprecationWarning (an error from pg 9 on).
   */
  #query<Row extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<Row>> {
    const run = this.#queue.then(async () => (await this.#connection()).query<Row>(text, values));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.#held.clear();
    const client = await this.#client?.catch(() => undefined);
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  #connection(): Promise<pg.Client> {
    this.#client ??= (async () => {
      const client = new pg.Client({
        connectionString: this.#url,
        application_name: 'seams:nats-leases',
        connectionTimeoutMillis: this.#availability?.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      });
      client.on('error', (error) => {
        if (!this.#availability?.failed(this.#url, error)) this.#logger.warn({ err: error }, 'lost the connection that holds the NATS consumer leases; taking them again');
        this.#held.clear();
        this.#client = undefined;
      });
      try {
        await client.connect();
        return client;
      } catch (error) {
        this.#client = undefined;
        this.#availability?.failed(this.#url, error);
        throw error;
      }
    })();
    return this.#client;
  }
}
