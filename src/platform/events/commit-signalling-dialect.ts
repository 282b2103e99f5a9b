import { PostgresDialect, type CompiledQuery, type DatabaseConnection, type Dialect, type Driver, type QueryResult, type TransactionSettings } from 'kysely';
import type pg from 'pg';

export const OUTBOX_TABLE = 'seams_outbox';
const OUTBOX_INSERT = `insert into "${OUTBOX_TABLE}"`;

/**
 * A Postgres dialect that calls `onPublishCommitted` right after a transaction that inserted into the outbox commits.
 * That is the in-process wake-up of the event bus: delivery starts within a millisecond of the commit, and no
 * NOTIFY is added to the publishing transaction (a NOTIFY per transaction halves the write rate).
 */
export function commitSignallingDialect(pool: pg.Pool, onPublishCommitted: (events: number) => void): Dialect {
  const base = new PostgresDialect({ pool });
  return {
    createAdapter: () => base.createAdapter(),
    createIntrospector: (db) => base.createIntrospector(db),
    createQueryCompiler: () => base.createQueryCompiler(),
    createDriver: () => new CommitSignallingDriver(base.createDriver(), onPublishCommitted),
  };
}

class CommitSignallingDriver implements Driver {
  readonly #inner: Driver;
  readonly #onPublishCommitted: (events: number) => void;
  /** Outbox rows written by the transaction open on each connection. */
  readonly #published = new WeakMap<DatabaseConnection, number>();

  constructor(inner: Driver, onPublishCommitted: (events: number) => void) {
    this.#inner = inner;
    this.#onPublishCommitted = onPublishCommitted;
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  /** One wrapper per pooled connection, made when the connection is first handed out and kept with it. */
  readonly #wrappers = new WeakMap<DatabaseConnection, DatabaseConnection>();

  async acquireConnection(options?: Parameters<Driver['acquireConnection']>[0]): Promise<DatabaseConnection> {
    const connection = await this.#inner.acquireConnection(options);
    return this.#wrappers.get(connection) ?? this.#wrap(connection);
  }

  #wrap(connection: DatabaseConnection): DatabaseConnection {
    const published = this.#published;
    const wrapper: DatabaseConnection = {
      executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
        if (query.sql.startsWith(OUTBOX_INSERT)) published.set(wrapper, (published.get(wrapper) ?? 0) + 1);
        return connection.executeQuery<R>(query);
      },
      streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
    };
    innerOf.set(wrapper, connection);
    this.#wrappers.set(connection, wrapper);
    return wrapper;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    this.#published.delete(connection);
    return this.#inner.beginTransaction(unwrap(connection), settings);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#inner.commitTransaction(unwrap(connection));
    const events = this.#published.get(connection);
    this.#published.delete(connection);
    if (events) this.#onPublishCommitted(events);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    this.#published.delete(connection);
    return this.#inner.rollbackTransaction(unwrap(connection));
  }

  savepoint(connection: DatabaseConnection, name: string, compile: Parameters<NonNullable<Driver['savepoint']>>[2]): Promise<void> {
    return this.#inner.savepoint!(unwrap(connection), name, compile);
  }

  rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: Parameters<NonNullable<Driver['savepoint']>>[2]): Promise<void> {
    return this.#inner.rollbackToSavepoint!(unwrap(connection), name, compile);
  }

  releaseSavepoint(connection: DatabaseConnection, name: string, compile: Parameters<NonNullable<Driver['savepoint']>>[2]): Promise<void> {
    return this.#inner.releaseSavepoint!(unwrap(connection), name, compile);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.#published.delete(connection);
    return this.#inner.releaseConnection(unwrap(connection));
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}

const innerOf = new WeakMap<DatabaseConnection, DatabaseConnection>();

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return innerOf.get(connection) ?? connection;
}
