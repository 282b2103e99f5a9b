import type { Kysely } from 'kysely';
import type { Config } from '#platform/config.ts';
import type { Logger } from '#platform/logger.ts';
import { DatabaseAvailability } from '#platform/db/database-availability.ts';
import type { DatabasePlacement } from '#platform/db/database-placement.ts';
import type { MigrationSource } from '#platform/db/migrate.ts';
import { prepareModuleDatabases } from '#platform/db/module-databases.ts';
import { createPlatformDatabase } from '#platform/db/platform-database.ts';
import type { EventBus } from '#platform/events/event-bus.ts';

/** Each local module's own database handle, and the platform's connection to each database they live in. */
export interface AppDatabases {
  readonly placement: DatabasePlacement;
  /** By module name: a Kysely whose connections run under that module's role. */
  readonly ofModule: ReadonlyMap<string, Kysely<unknown>>;
  /** By database URL: the platform's own connection, for work across modules' event tables (lag, dead letters, retention). */
  readonly platform: ReadonlyMap<string, Kysely<unknown>>;
  /** Which of these databases are away right now; every pool above reports to it. */
  readonly availability: DatabaseAvailability;
  destroy(): Promise<void>;
}

export interface OpenDatabasesOptions {
  /** Which database each local module lives in (placeModules). */
  readonly placement: DatabasePlacement;
  readonly config: Config;
  readonly logger: Logger;
  readonly migrations: MigrationSource;
  /** A subscriber reads its producer's outbox directly (both here, in one database). */
  readonly readsOutbox: (producer: string, subscriber: string) => boolean;
  /** Bound once the bus exists; commits that publish before then are found by the bus's first pass. */
  readonly delivery: { bus?: EventBus };
}

/** The first step of building an app: each local module's schema and role, provisioned and migrated under that role. */
export async function openDatabases(options: OpenDatabasesOptions): Promise<AppDatabases> {
  const { placement, config, logger, delivery } = options;
  const ofModule = new Map<string, Kysely<unknown>>();
  const platform = new Map<string, Kysely<unknown>>();
  const availability = new DatabaseAvailability({ logger, connectTimeoutMs: config.dbConnectTimeoutMs, poolWaitMs: config.dbPoolWaitMs });
  for (const [url, group] of placement.groups) {
    const prepared = await prepareModuleDatabases({
      url,
      modules: group,
      poolMax: config.dbPoolMax,
      availability,
      migrations: options.migrations,
      logger,
      onPublishCommitted: (module, events) => delivery.bus?.published(module, events),
      readsOutbox: options.readsOutbox,
    });
    for (const [module, db] of prepared) ofModule.set(module, db);
    platform.set(url, createPlatformDatabase(url, availability));
  }
  return {
    placement,
    ofModule,
    platform,
    availability,
    destroy: async () => {
      availability.close();
      await Promise.all([...ofModule.values(), ...platform.values()].map((db) => db.destroy()));
    },
  };
}
