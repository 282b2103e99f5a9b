import type { Transaction } from 'kysely';
import type { ModuleDb } from '#platform/db/module-database.ts';
import { stockItem, type StockItem } from '../domain/stock.ts';
import type { InventoryTables, ItemRow } from './inventory.table.ts';

export interface ItemsRepository {
  findByProductId(productId: string): Promise<StockItem | undefined>;
  /** Creates the item with nothing reserved; undefined when it exists already (then nothing is changed). */
  insertIfAbsent(productId: string, onHand: number, trx: Transaction<InventoryTables>): Promise<StockItem | undefined>;
  /**
   * Locks the items of these products (`for update`) until `trx` ends, always in product id order, so two
   * transactions locking overlapping sets never deadlock. Products without an item are left out.
   */
  lock(productIds: readonly string[], trx: Transaction<InventoryTables>): Promise<StockItem[]>;
  /** Sets on hand; the CHECK on the table refuses a value below what is reserved. */
  setOnHand(productId: string, onHand: number, trx: Transaction<InventoryTables>): Promise<StockItem | undefined>;
  /** Holds `quantity` more for orders: reserved += quantity. */
  reserve(productId: string, quantity: number, trx: Transaction<InventoryTables>): Promise<void>;
  /** Reserved stock leaves the warehouse: on hand and reserved both go down by `quantity`. */
  sell(productId: string, quantity: number, trx: Transaction<InventoryTables>): Promise<void>;
  /** Reserved stock is free again: reserved -= quantity. */
  release(productId: string, quantity: number, trx: Transaction<InventoryTables>): Promise<void>;
}

export function makeItemsRepository({ db }: { db: ModuleDb<InventoryTables> }): ItemsRepository {
  return {
    async findByProductId(productId) {
      const row = await db.selectFrom('items').selectAll().where('product_id', '=', productId).executeTakeFirst();
      return row && toStockItem(row);
    },

    async insertIfAbsent(productId, onHand, trx) {
      const row = await trx
        .insertInto('items')
        .values({ product_id: productId, on_hand: onHand })
        .onConflict((conflict) => conflict.column('product_id').doNothing())
        .returningAll()
        .executeTakeFirst();
      return row && toStockItem(row);
    },

    async lock(productIds, trx) {
      if (productIds.length === 0) return [];
      // The sort sits below the row locks in the plan, so rows are locked in this order.
      const rows = await trx.selectFrom('items').selectAll().where('product_id', 'in', [...productIds]).orderBy('product_id').forUpdate().execute();
      return rows.map(toStockItem);
    },

    async setOnHand(productId, onHand, trx) {
      const row = await trx
        .updateTable('items')
        .set({ on_hand: onHand, updated_at: new Date() })
        .where('product_id', '=', productId)
        .returningAll()
        .executeTakeFirst();
      return row && toStockItem(row);
    },

    async reserve(productId, quantity, trx) {
      await trx
        .updateTable('items')
        .set((eb) => ({ reserved: eb('reserved', '+', quantity), updated_at: new Date() }))
        .where('product_id', '=', productId)
        .executeTakeFirstOrThrow();
    },

    async sell(productId, quantity, trx) {
      await trx
        .updateTable('items')
        .set((eb) => ({ on_hand: eb('on_hand', '-', quantity), reserved: eb('reserved', '-', quantity), updated_at: new Date() }))
        .where('product_id', '=', productId)
        .executeTakeFirstOrThrow();
    },

    async release(productId, quantity, trx) {
      await trx
        .updateTable('items')
        .set((eb) => ({ reserved: eb('reserved', '-', quantity), updated_at: new Date() }))
        .where('product_id', '=', productId)
        .executeTakeFirstOrThrow();
    },
  };
}

function toStockItem(row: ItemRow): StockItem {
  return stockItem(row.product_id, row.on_hand, row.reserved);
}
