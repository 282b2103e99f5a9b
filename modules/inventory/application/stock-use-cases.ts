import type { ModuleDb } from '#platform/db/module-database.ts';
import { ItemNotFoundError, StockBelowReservedError, type StockItem } from '../domain/stock.ts';
import type { InventoryTables } from '../infrastructure/inventory.table.ts';
import type { ItemsRepository } from '../infrastructure/items-repository.ts';

type Deps = { itemsRepository: ItemsRepository };

export type SetStock = (productId: string, onHand: number) => Promise<{ item: StockItem; created: boolean }>;

/**
 * Sets how many of a product are on hand (a stock count). Creates the item the first time. Refuses to go below what
 * open orders hold; the item is locked while deciding, so a reservation cannot slip in between.
 */
export function makeSetStock({ db, itemsRepository }: Deps & { db: ModuleDb<InventoryTables> }): SetStock {
  return (productId, onHand) =>
    db.transaction().execute(async (trx) => {
      const created = await itemsRepository.insertIfAbsent(productId, onHand, trx);
      if (created) return { item: created, created: true };
      const [current] = await itemsRepository.lock([productId], trx);
      if (!current) throw new Error(`Item ${productId} vanished while being set`);
      if (onHand < current.reserved) throw new StockBelowReservedError(productId, onHand, current.reserved);
      const item = await itemsRepository.setOnHand(productId, onHand, trx);
      if (!item) throw new Error(`Item ${productId} vanished while being set`);
      return { item, created: false };
    });
}

export type GetStock = (productId: string) => Promise<StockItem>;

export function makeGetStock({ itemsRepository }: Deps): GetStock {
  return async (productId) => {
    const item = await itemsRepository.findByProductId(productId);
    if (!item) throw new ItemNotFoundError(productId);
    return item;
  };
}
