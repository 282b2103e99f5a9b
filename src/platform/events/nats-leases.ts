import pg from 'pg';
import type { Logger } from 'pino';
import { DEFAULT_CONNECT_TIMEOUT_MS, type DatabaseAvailability } from '../db/database-availability.ts';

/**
 * Session advisory locks that say which instance relays a producer's outbox and which receives each partition of a
 * subscription, all on one connection: if it drops, every lease goes with it (the relays and receivers notice through
 * {@link holds} and stop) and is taken again on a new connection.
 */
export class NatsLeases {
  readonly #url: string;
  readonly #logger: Logger;
  readonly #held = new Set<string>();
  #client: Promise<pg.Client> | undefined;
  #queue: Promise<void> = Promise.resolve();
  readonly #availability: DatabaseAvailability | undefined;

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
    const client = await this.#connection();
    const { rows } = await this.#query(() => client.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtext($1)) as ok', [key]));
    if (rows[0]?.ok) this.#held.add(key);
    return this.#held.has(key);
  }

  async release(key: string): Promise<void> {
    if (!this.#held.delete(key) || !this.#client) return;
    const client = await this.#client.catch(() => undefined);
    if (client) await this.#query(() => client.query('select pg_advisory_unlock(hashtext($1))', [key])).catch(() => undefined);
  }

  /** One query at a time on the shared connection (every partition's receiver asks on it). */
  #query<T>(run: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(run);
    this.#queue = result.then(() => undefined, () => undefined);
    return result;
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
        // A database outage is told once, by DatabaseAvailability.
        if (!this.#availability?.failed(this.#url, error)) this.#logger.warn({ err: error }, 'lost the connection that holds the NATS receiver leases; taking them again');
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
