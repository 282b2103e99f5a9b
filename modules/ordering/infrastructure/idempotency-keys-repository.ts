import type { Transaction } from 'kysely';
import type { ModuleDb } from '#platform/db/module-database.ts';
import type { OrderingTables } from './orders.table.ts';

export interface IdempotencyKeyClaim {
  readonly customerId: string;
  readonly key: string;
  /** Fingerprint of the request the key was first used with. */
  readonly requestHash: string;
  readonly orderId: string;
}

export interface IdempotencyKeysRepository {
  /**
   * Claims the customer's key for an order, in `trx`. Returns false when the key is already taken. A concurrent claim
   * of the same key waits here until the first transaction ends: false if it committed, true if it rolled back.
   */
  claim(claim: IdempotencyKeyClaim, trx: Transaction<OrderingTables>): Promise<boolean>;
  /** The committed claim of the customer's key, if any. */
  find(customerId: string, key: string, trx?: Transaction<OrderingTables>): Promise<IdempotencyKeyClaim | undefined>;
}

export function makeIdempotencyKeysRepository({ db }: { db: ModuleDb<OrderingTables> }): IdempotencyKeysRepository {
  return {
    async claim(claim, trx) {
      const inserted = await trx
        .insertInto('idempotency_keys')
        .values({ customer_id: claim.customerId, key: claim.key, request_hash: claim.requestHash, order_id: claim.orderId })
        .onConflict((conflict) => conflict.columns(['customer_id', 'key']).doNothing())
        .returning('order_id')
        .executeTakeFirst();
      return inserted !== undefined;
    },

    async find(customerId, key, trx) {
      const row = await (trx ?? db)
        .selectFrom('idempotency_keys')
        .select(['customer_id', 'key', 'request_hash', 'order_id'])
        .where('customer_id', '=', customerId)
        .where('key', '=', key)
        .executeTakeFirst();
      return row && { customerId: row.customer_id, key: row.key, requestHash: row.request_hash, orderId: row.order_id };
    },
  };
}
