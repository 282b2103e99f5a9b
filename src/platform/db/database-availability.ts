import pg from 'pg';
import type { Logger } from 'pino';
import { databaseNameOf } from './database-names.ts';
import { isDatabaseUnavailable } from './database-unavailable.ts';

/** How long a connection attempt may take, on every pool and client: a request learns of an outage within this. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 1000;
/** A probe waits this long: the machine may be busy, and a false outage would refuse every request. */
const PROBE_TIMEOUT_MS = 5000;
/** Start-up's own connections (provisioning, migrations' checks): a cold server may be slow, but never forever. */
export const STARTUP_CONNECT_TIMEOUT_MS = 10_000;
/** While a database is away, it is probed this often; its return is noticed within about this long. */
const PROBE_INTERVAL_MS = 500;

/**
 * Which databases are unreachable right now. An outage is told once: one warning when the first failure is seen
 * (from any pool, client or worker), one info when a probe connects again, whatever the number of requests that failed
 * in between. Those requests answer 503 and log nothing more; event workers slow down until `onRecovered` wakes them.
 */
export class DatabaseAvailability {
  readonly #logger: Logger;
  readonly #connectTimeoutMs: number;
  readonly #poolWaitMs: number;
  readonly #down = new Map<string, { since: number; probe: NodeJS.Timeout; probing: boolean }>();
  readonly #recovered = new Set<() => void>();
  /** Databases whose timeout is being checked by a probe before it counts as an outage. */
  readonly #confirming = new Set<string>();
  #closed = false;

  constructor(options: { logger: Logger; connectTimeoutMs: number; poolWaitMs: number }) {
    this.#logger = options.logger;
    this.#connectTimeoutMs = options.connectTimeoutMs;
    this.#poolWaitMs = Math.max(options.poolWaitMs, options.connectTimeoutMs);
  }

  get connectTimeoutMs(): number {
    return this.#connectTimeoutMs;
  }

  /** Whether any database is known to be away. */
  get anyDown(): boolean {
    return this.#down.size > 0;
  }

  /**
   * Looks at an error from the database at `url`: if it means the database is unreachable, records the outage (the
   * first time, with a warning) and returns true. Any other error returns false and is the caller's to report.
   */
  failed(url: string, error: unknown): boolean {
    if (!isDatabaseUnavailable(error)) return false;
    if (this.#closed || this.#down.has(url)) return true;
    const reason = error instanceof Error ? error.message : String(error);
    // A timeout may be only a busy server or a busy machine: the outage starts when a probe of its own fails too.
    // Refused, reset or shutting down needs no second opinion.
    if (isTimeout(error)) {
      if (!this.#confirming.has(url)) {
        this.#confirming.add(url);
        void this.#answers(url).then((answers) => {
          this.#confirming.delete(url);
          if (!answers && !this.#closed && !this.#down.has(url)) this.#startOutage(url, reason);
        });
      }
      return true;
    }
    this.#startOutage(url, reason);
    return true;
  }

  #startOutage(url: string, reason: string): void {
    this.#logger.warn({ database: databaseNameOf(url), reason }, 'database unavailable; requests that need it answer 503 until it is back');
    const probe = setInterval(() => void this.#probe(url), PROBE_INTERVAL_MS);
    probe.unref();
    this.#down.set(url, { since: Date.now(), probe, probing: false });
  }

  /** Called once per outage that ends, after the info line. */
  onRecovered(listener: () => void): void {
    this.#recovered.add(listener);
  }

  close(): void {
    this.#closed = true;
    for (const { probe } of this.#down.values()) clearInterval(probe);
    this.#down.clear();
  }

  /**
   * The settings every pool of Seams takes: no pool wait longer than the pool wait (pg-pool's connectionTimeoutMillis
   * bounds both the wait for a free connection and a new connection), and no new connection attempt longer than the
   * connect timeout (set on each client the pool makes).
   */
  clientOptions(): Pick<pg.PoolConfig, 'connectionTimeoutMillis' | 'Client'> {
    const connectTimeoutMs = this.#connectTimeoutMs;
    class TimedClient extends pg.Client {
      constructor(config?: pg.ClientConfig) {
        super({ ...config, connectionTimeoutMillis: connectTimeoutMs });
      }
    }
    return { connectionTimeoutMillis: this.#poolWaitMs, Client: TimedClient };
  }

  /**
   * Watches a pool: its failures to connect and its connections that break are told to {@link failed} (and, if they
   * are not an outage, logged as before). Wraps `connect`, through which every query of the pool goes.
   */
  watchPool(pool: pg.Pool, url: string): void {
    const other = (error: Error) => {
      if (!this.failed(url, error)) this.#logger.warn({ err: error }, 'database connection lost');
    };
    pool.on('error', other);
    pool.on('connect', (client) => client.on('error', other));
    const connect = pool.connect.bind(pool) as (callback?: (error: Error | undefined, client?: pg.PoolClient, done?: (release?: unknown) => void) => void) => Promise<pg.PoolClient> | void;
    pool.connect = ((callback?: (error: Error | undefined, client?: pg.PoolClient, done?: (release?: unknown) => void) => void) => {
      if (callback) {
        if (this.#down.has(url)) return void queueMicrotask(() => callback(outageUnderWay()));
        return connect((error, client, done) => {
          if (error) this.failed(url, error);
          callback(error, client, done);
        });
      }
      // While an outage is under way, at once: no request queues behind connection attempts that cannot succeed.
      // The probe, on a client of its own, notices the return within PROBE_INTERVAL_MS.
      if (this.#down.has(url)) return Promise.reject(outageUnderWay());
      return (connect() as Promise<pg.PoolClient>).catch((error: unknown) => {
        this.failed(url, error);
        throw error;
      });
    }) as typeof pool.connect;
  }

  async #probe(url: string): Promise<void> {
    const outage = this.#down.get(url);
    if (!outage || outage.probing || this.#closed) return;
    outage.probing = true;
    const answers = await this.#answers(url);
    outage.probing = false;
    if (!answers || this.#down.get(url) !== outage) return;
    clearInterval(outage.probe);
    this.#down.delete(url);
    this.#logger.info({ database: databaseNameOf(url), downForMs: Date.now() - outage.since }, 'database available again');
    for (const listener of this.#recovered) listener();
  }

  /** Whether the database answers a fresh connection's `select 1`, given longer than a request gets. */
  async #answers(url: string): Promise<boolean> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: Math.max(PROBE_TIMEOUT_MS, this.#connectTimeoutMs), application_name: 'seams:probe' });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

function isTimeout(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; depth += 1, current = current.cause) {
    if (/timeout/i.test(current.message) || (current as { code?: unknown }).code === 'ETIMEDOUT') return true;
  }
  return false;
}

/** Class 08 (connection exception), so that it reads as an outage everywhere (isDatabaseUnavailable). */
function outageUnderWay(): Error {
  return Object.assign(new Error('the database is unavailable (an outage is under way)'), { code: '08006' });
}
