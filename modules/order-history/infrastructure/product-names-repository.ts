import type { Transaction } from 'kysely';
import type { OrderHistoryTables } from './order-history.table.ts';

export interface ProductNamesRepository {
  /** Records a product's name as of `occurredAt`; an older name never replaces a newer one. */
  rename(productId: string, name: string, occurredAt: Date, trx: Transaction<OrderHistoryTables>): Promise<void>;
}

export function makeProductNamesRepository(): ProductNamesRepository {
  return {
    async rename(productId, name, occurredAt, trx) {
      await trx
        .insertInto('product_names')
        .values({ product_id: productId, name, updated_at: occurredAt })
        .onConflict((conflict) =>
          conflict
            .column('product_id')
            .doUpdateSet((eb) => ({ name: eb.ref('excluded.name'), updated_at: eb.ref('excluded.updated_at') }))
            .where('product_names.updated_at', '<=', (eb) => eb.ref('excluded.updated_at')),
        )
        .execute();
    },
  };
}
