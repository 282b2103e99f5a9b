import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { MigrationSource } from '#platform/db/migrate.ts';
import { defineModule } from '#platform/modules/define-module.ts';
import { subscribe, type DeliveredEvent } from '#platform/events/subscription.ts';
import { OrderPlaced } from '../../modules/ordering/contract.ts';

export interface ConsoleProbeTables {
  seen_orders: { order_id: string; attempt: number };
}

/**
 * A test module beside the shop: it notes every placed order in its own table, and fails on purpose while `failing`
 * is set, so that the console has a dead letter to show and replay.
 */
export function consoleProbe() {
  const state = { failing: false };
  const module = defineModule({
    name: 'console-probe',
    description: 'A test module whose handler fails on purpose while told to.',
    owners: ['@seams/tests'],
    dependsOn: { ordering: 'notes each placed order, to be made to fail' },
    subscriptions: [
      subscribe(OrderPlaced, () => async (event: DeliveredEvent<{ orderId: string }>, trx: Transaction<ConsoleProbeTables>) => {
        if (state.failing) throw new Error(`console-probe refuses order ${event.payload.orderId} on purpose`);
        await trx.insertInto('seen_orders').values({ order_id: event.payload.orderId, attempt: event.attempt }).execute();
      }),
    ],
  });
  const migrations: MigrationSource = async (name) =>
    name === 'console-probe'
      ? {
          getMigrations: async () => ({
            '0001_seen_orders': {
              // eslint-disable-next-line @typescript-eslint/no-explicit-any
              up: async (db: Kysely<any>) => void (await sql`create table seen_orders (order_id uuid primary key, attempt integer not null)`.execute(db)),
            },
          }),
        }
      : undefined;
  return { module, state, migrations };
}
