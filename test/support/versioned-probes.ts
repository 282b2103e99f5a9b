import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql, type Kysely, type Transaction } from 'kysely';
import Type from 'typebox';
import { schemaName } from '#platform/db/database-names.ts';
import { ident } from '#platform/db/provision.ts';
import { defineEvent, type EventDefinition } from '#platform/events/event-definition.ts';
import { subscribe, type DeliveredEvent } from '#platform/events/subscription.ts';
import { defineContract } from '#platform/modules/contract.ts';
import { defineModule, type AnyModule } from '#platform/modules/define-module.ts';
import { writeProbeMigration } from './probe-modules.ts';

/**
 * Throw-away modules for tests of event versions, in two deployments of the same system (same module names, same
 * schemas): `before`, whose producer knows only `Measured` v1 and whose subscribers both take v1, and `after`, whose
 * producer publishes v2 (v1 plus a required `unit`, with an upcaster and a downcaster) while the subscriber `next`
 * takes v2 and `stays` still takes v1.
 *
 * Each subscriber records what its handler got (the version and the payload as handed over) in its `received_events`
 * table. Both schemas forbid extra properties, so a payload in the wrong version cannot pass for the right one.
 */
export interface VersionedProbes {
  readonly modules: AnyModule[];
  readonly migrationsDir: string;
  readonly producer: string;
  /** Takes v1 before and v2 after. */
  readonly next: string;
  /** Takes v1 in both deployments. */
  readonly stays: string;
  readonly V1: EventDefinition;
  /** The version the producer publishes in this deployment. */
  readonly published: EventDefinition;
}

export interface HandledRow {
  n: number;
  version: number;
  payload: Record<string, unknown>;
}

type V1Payload = { n: number; key: string };

function measuredV1(producer: string) {
  return defineEvent({
    name: `${producer}.Measured`,
    version: 1,
    description: 'A test event, first version.',
    schema: Type.Object({ n: Type.Integer(), key: Type.String() }, { additionalProperties: false }),
    key: (payload) => payload.key,
  });
}

function measuredV2(V1: ReturnType<typeof measuredV1>) {
  return defineEvent({
    name: V1.name,
    version: 2,
    description: 'A test event, second version: says what was measured in.',
    schema: Type.Object({ n: Type.Integer(), key: Type.String(), unit: Type.String() }, { additionalProperties: false }),
    key: (payload) => payload.key,
    from: V1,
    upcast: (v1) => ({ ...v1, unit: 'piece' }),
    downcast: ({ n, key }) => ({ n, key }),
  });
}

export function versionedProbes(prefix: string, deployment: 'before' | 'after', options: { failOnKey?: string; migrationsDir?: string } = {}): VersionedProbes {
  const producer = `${prefix}-source`;
  const next = `${prefix}-next`;
  const stays = `${prefix}-stays`;
  const V1 = measuredV1(producer);
  const V2 = measuredV2(V1);
  const published: EventDefinition = deployment === 'before' ? V1 : V2;

  const record = (event: DeliveredEvent<V1Payload>, trx: Transaction<VersionedTables>) => {
    if (event.payload.key === options.failOnKey) throw new Error(`injected fault for key ${event.payload.key}`);
    return trx
      .insertInto('received_events')
      .values({ event_id: event.id, n: event.payload.n, version: event.version, payload: JSON.stringify(event.payload) })
      .execute();
  };
  const sink = (name: string, event: EventDefinition) =>
    defineModule({
      name,
      owners: ['@seams/tests'],
      dependsOn: { [producer]: 'the test watches its events' },
      subscriptions: [subscribe(event, () => record as never)],
    });

  const migrationsDir = options.migrationsDir ?? mkdtempSync(path.join(os.tmpdir(), 'seams-versions-migrations-'));
  for (const name of [next, stays]) {
    writeProbeMigration(
      migrationsDir,
      name,
      '0001_received_events.ts',
      `export async function up(db) {
  await db.schema.createTable('received_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('event_id', 'uuid', (c) => c.notNull().unique())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .execute();
}\n`,
    );
  }
  return {
    modules: [
      defineModule({
        name: producer,
        owners: ['@seams/tests'],
        dependsOn: {},
        contract: defineContract({ module: producer, methods: {}, events: { Measured: published } }),
        api: () => ({}),
      }),
      sink(next, deployment === 'before' ? V1 : V2),
      sink(stays, V1),
    ],
    migrationsDir,
    producer,
    next,
    stays,
    V1,
    published,
  };
}

export interface VersionedTables {
  received_events: { id: string | undefined; event_id: string; n: number; version: number; payload: string };
}

/** What a subscriber's handler got, by n, through any connection that may read its schema. */
export async function handled(db: Kysely<unknown>, module: string): Promise<HandledRow[]> {
  const { rows } = await sql<HandledRow>`select n, version, payload from ${sql.raw(`${ident(schemaName(module))}.received_events`)} order by n`.execute(db);
  return rows;
}

/**
 * Writes a v1 event as the code before the deploy would have left it: a row in a module's `seams_outbox` (as its
 * publisher writes it) or `seams_received` (as the NATS receiver writes it).
 */
export async function writeStoredEvent(
  db: Kysely<unknown>,
  table: { outboxOf: string } | { receivedBy: string; producer: string },
  event: EventDefinition,
  payload: V1Payload,
): Promise<void> {
  const common = { id: crypto.randomUUID(), name: event.name, version: event.version, key: payload.key, payload: JSON.stringify(payload) };
  if ('outboxOf' in table) {
    await sql`insert into ${sql.raw(`${ident(schemaName(table.outboxOf))}.seams_outbox`)} (id, name, version, key, payload, trace)
      values (${common.id}::uuid, ${common.name}, ${common.version}, ${common.key}, ${common.payload}::jsonb, 'null'::jsonb)`.execute(db);
  } else {
    await sql`insert into ${sql.raw(`${ident(schemaName(table.receivedBy))}.seams_received`)} (id, producer, name, version, key, payload, trace, occurred_at)
      values (${common.id}::uuid, ${table.producer}, ${common.name}, ${common.version}, ${common.key}, ${common.payload}::jsonb, 'null'::jsonb, now())`.execute(db);
  }
}
