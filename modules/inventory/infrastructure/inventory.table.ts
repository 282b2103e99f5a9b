import type { ColumnType, Generated, Selectable } from 'kysely';
import type { ReservationStatus } from '../domain/reservation.ts';

/** One row per product whose stock has been set. CHECKs keep on_hand >= reserved >= 0. */
export interface ItemsTable {
  product_id: string;
  on_hand: number;
  reserved: Generated<number>;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, never, Date>;
}

/** What an order holds (or held, or was refused) of one product. Primary key (order_id, product_id). */
export interface ReservationsTable {
  order_id: string;
  product_id: string;
  // bigint comes back from pg as a string; the repository converts it.
  quantity: ColumnType<string, number, never>;
  status: ReservationStatus;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, never, Date>;
}

/** Orders whose cancellation arrived before their OrderPlaced: a late OrderPlaced reserves nothing for them. */
export interface CancelledBeforeReservedTable {
  order_id: string;
  cancelled_at: Generated<Date>;
}

export interface InventoryTables {
  items: ItemsTable;
  reservations: ReservationsTable;
  cancelled_before_reserved: CancelledBeforeReservedTable;
}

export type ItemRow = Selectable<ItemsTable>;
export type ReservationRow = Selectable<ReservationsTable>;
