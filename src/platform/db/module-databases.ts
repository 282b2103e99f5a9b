import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { schemaName } from './database-names.ts';
import { migrateModule, type MigrationSource } from './migrate.ts';
import type { DatabaseAvailability } from './database-availability.ts';
import { createModuleDatabase } from './module-database.ts';
import { grantOutboxReads, provisionModules } from './provision.ts';
import { verifyDataBoundaries } from './verify-data-boundaries.ts';
import { producerOf } from '../events/event-definition.ts';
import { migrateEventTables } from '../events/event-tables.ts';
import { assertEventPositionsFromThisServer } from '../events/event-positions.ts';
import type { AnyModule } from '../modules/define-module.ts';

export interface ModuleDatabasesOptions {
  /** A user that may create roles and schemas. */
  readonly url: string;
  readonly modules: readonly AnyModule[];
  readonly poolMax: number;
  readonly migrations: MigrationSource;
  readonly logger: Logger;
  /** Connection timeouts, and one log line per outage, for every module's pool. */
  readonly availability: DatabaseAvailability;
  /** Called after a module's transaction that published events commits. */
  readonly onPublishCommitted: (module: string, events: number) => void;
  /**
   * Whether a subscriber reads its producer's outbox directly (the event topology's `sharesLog`). Default: when the
   * producer is one of `modules`. A producer elsewhere sends its events over NATS, and there is nothing to grant.
   */
  readonly readsOutbox?: (producer: string, subscriber: string) => boolean;
}

/**
 * Everything the modules need from the database, in order: a schema and a role each; the event-bus tables and then
 * the module's own migrations, both run under that role; and the read grants on producers' outboxes that the
 * subscriptions in the manifests call for; then the check that no role holds more than that. Returns each module's own
 * Kysely.
 */
export async function prepareModuleDatabases(options: ModuleDatabasesOptions): Promise<Map<string, Kysely<unknown>>> {
  const { modules, logger } = options;
  const provisioned = await provisionModules(options.url, modules.map((module) => module.name), logger);
  const databases = new Map<string, Kysely<unknown>>();
  for (const { module, role, schema } of provisioned) {
    const db = createModuleDatabase<unknown>({
      url: options.url,
      role,
      schema,
      poolMax: options.poolMax,
      availability: options.availability,
      onPublishCommitted: (events) => options.onPublishCommitted(module, events),
    });
    databases.set(module, db);
    await migrateEventTables(db, schema);
    await assertEventPositionsFromThisServer(db, module);
    await migrateModule(db, { module, schema, migrations: options.migrations, logger });
  }
  const roleOf = new Map(provisioned.map(({ module, role }) => [module, role]));
  const readsOutbox = options.readsOutbox ?? ((producer: string) => roleOf.has(producer));
  await grantOutboxReads(
    options.url,
    modules.flatMap((module) =>
      (module.subscriptions ?? [])
        .map((subscription) => producerOf(subscription.event))
        .filter((producer) => readsOutbox(producer, module.name))
        .map((producer) => ({ subscriberRole: roleOf.get(module.name)!, producerSchema: schemaName(producer) })),
    ),
  );
  // Before anything is served: a role that can reach another module's data stops the start, not a later query.
  const producerSchemasOf = (name: string) => (modules.find((module) => module.name === name)?.subscriptions ?? []).map((subscription) => schemaName(producerOf(subscription.event)));
  await verifyDataBoundaries(options.url, provisioned.map(({ module, role, schema }) => ({ module, role, schema, producerSchemas: producerSchemasOf(module) }))).catch(async (error: unknown) => {
    await Promise.all([...databases.values()].map((db) => db.destroy()));
    throw error;
  });
  return databases;
}
