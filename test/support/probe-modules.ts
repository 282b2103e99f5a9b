import { existsSync, mkdtempSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely, Transaction } from 'kysely';
import Type from 'typebox';
import { defineContract } from '#platform/modules/contract.ts';
import { defineModule, type AnyModule } from '#platform/modules/define-module.ts';
import { defineEvent } from '#platform/events/event-definition.ts';
import type { Publisher } from '#platform/events/publisher.ts';
import { subscribe, type DeliveredEvent } from '#platform/events/subscription.ts';

/**
 * Throw-away modules for event-bus tests: one producer and any number of subscribers, named with a prefix so test
 * files running in parallel on one database never share a schema, an outbox or a cursor.
 *
 * Each subscriber records every handled event in its `effects` table, which has no unique constraint on purpose: a
 * duplicate effect shows up as a second row.
 */
export interface ProbeSystem {
  readonly modules: AnyModule[];
  readonly migrationsDir: string;
  readonly producer: string;
  readonly subscribers: string[];
  readonly Pinged: ReturnType<typeof pingedEvent>;
}

export type ProbeBehaviour = (event: DeliveredEvent<{ n: number; key: string; note?: string }>, subscriber: string) => Promise<void> | void;

function pingedEvent(producer: string) {
  return defineEvent({
    name: `${producer}.Pinged`,
    version: 1,
    description: 'A test event.',
    schema: Type.Object({ n: Type.Integer(), key: Type.String(), note: Type.Optional(Type.String()) }, { additionalProperties: false }),
    key: (payload) => payload.key,
  });
}

export interface ProbeOptions {
  /** Parallel readers per subscription, by hash of the key. */
  readonly partitions?: number;
  /**
   * Where to write the subscribers' migrations (default: a fresh temp dir). Give the same dir to every process that
   * runs the same probe system, so they all migrate from identical files; files already there are left alone.
   */
  readonly migrationsDir?: string;
}

export function probeSystem(prefix: string, subscriberCount: number, behaviour: ProbeBehaviour = () => undefined, options: ProbeOptions = {}): ProbeSystem {
  const producer = `${prefix}-source`;
  const Pinged = pingedEvent(producer);
  const contract = defineContract({ module: producer, methods: {}, events: { Pinged } });
  const producerModule = defineModule({
    name: producer,
    owners: ['@seams/tests'],
    dependsOn: {},
    contract,
    api: () => ({}),
  });
  const subscribers = Array.from({ length: subscriberCount }, (_, i) => `${prefix}-sink${i + 1}`);
  const subscriberModules = subscribers.map((name) =>
    defineModule({
      name,
      owners: ['@seams/tests'],
      dependsOn: { [producer]: 'the test watches its events' },
      subscriptions: [
        subscribe(
          Pinged,
          () => async (event: DeliveredEvent<{ n: number; key: string; note?: string }>, trx: Transaction<ProbeTables>) => {
            await trx.insertInto('effects').values({ event_id: event.id, n: event.payload.n, key: event.payload.key, attempt: event.attempt }).execute();
            await behaviour(event, name);
          },
          options.partitions ? { partitions: options.partitions } : {},
        ),
      ],
    }),
  );

  const migrationsDir = options.migrationsDir ?? mkdtempSync(path.join(os.tmpdir(), 'seams-probe-migrations-'));
  for (const name of subscribers) {
    writeProbeMigration(
      migrationsDir,
      name,
      '0001_effects.ts',
      `export async function up(db) {
  await db.schema.createTable('effects')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .execute();
}\n`,
    );
  }
  return { modules: [producerModule, ...subscriberModules], migrationsDir, producer, subscribers, Pinged };
}

/**
 * Writes a probe module's migration, unless it is there already. Written at run time because the module names are;
 * it imports nothing, like every migration. Written beside the module folders and renamed into place, so another
 * process never sees half a file.
 */
export function writeProbeMigration(migrationsDir: string, module: string, file: string, source: string): void {
  mkdirSync(path.join(migrationsDir, module), { recursive: true });
  const target = path.join(migrationsDir, module, file);
  if (existsSync(target)) return;
  const scratch = path.join(migrationsDir, `.${module}-${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
  writeFileSync(scratch, source);
  renameSync(scratch, target);
}

export interface ProbeTables {
  effects: { id: string | undefined; event_id: string; n: number; key: string; attempt: number };
}

/** Publishes one Pinged event per transaction through the producer's own database and publisher. */
export async function publishPings(
  db: Kysely<unknown>,
  events: Publisher,
  Pinged: ProbeSystem['Pinged'],
  pings: ReadonlyArray<{ n: number; key: string; note?: string }>,
): Promise<void> {
  for (const ping of pings) {
    await db.transaction().execute((trx) => events.publish(trx, Pinged, ping));
  }
}
