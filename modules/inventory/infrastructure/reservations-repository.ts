import { sql, type Transaction } from 'kysely';
import type { RequestedLine, ReservationStatus } from '../domain/reservation.ts';
import type { InventoryTables } from './inventory.table.ts';

export interface ReservationsRepository {
  /** Whether the order was handled already, whatever the outcome, or cancelled before it was. */
  isDecided(orderId: string, trx: Transaction<InventoryTables>): Promise<boolean>;
  /** Remembers an order cancelled before inventory saw it placed, unless it holds or held something. */
  markCancelledIfUnseen(orderId: string, trx: Transaction<InventoryTables>): Promise<void>;
  /** Records one row per line; an order has one line per product (the primary key refuses a second). */
  insert(orderId: string, lines: readonly RequestedLine[], status: ReservationStatus, trx: Transaction<InventoryTables>): Promise<void>;
  /**
   * Moves the order's reservations that still hold stock to `to`, and returns them in product id order. Rows already
   * sold, released or rejected are left alone, so settling twice settles once.
   */
  settle(orderId: string, to: 'sold' | 'released', trx: Transaction<InventoryTables>): Promise<RequestedLine[]>;
}

export function makeReservationsRepository(): ReservationsRepository {
  return {
    async isDecided(orderId, trx) {
      const row = await trx
        .selectFrom('reservations')
        .select('order_id')
        .where('order_id', '=', orderId)
        .unionAll(trx.selectFrom('cancelled_before_reserved').select('order_id').where('order_id', '=', orderId))
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },

    async markCancelledIfUnseen(orderId, trx) {
      await sql`
        insert into cancelled_before_reserved (order_id)
        select ${orderId}::uuid
        where not exists (select 1 from reservations where order_id = ${orderId}::uuid)
        on conflict (order_id) do nothing`.execute(trx);
    },

    async insert(orderId, lines, status, trx) {
      if (lines.length === 0) return;
      await trx
        .insertInto('reservations')
        .values(lines.map(({ productId, quantity }) => ({ order_id: orderId, product_id: productId, quantity, status })))
        .execute();
    },

    async settle(orderId, to, trx) {
      const rows = await trx
        .updateTable('reservations')
        .set({ status: to, updated_at: new Date() })
        .where('order_id', '=', orderId)
        .where('status', '=', 'reserved')
        .returning(['product_id', 'quantity'])
        .execute();
      return rows.map((row) => ({ productId: row.product_id, quantity: Number(row.quantity) })).sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
    },
  };
}
