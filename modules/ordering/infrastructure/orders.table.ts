import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { CancellationReason, OrderStatus } from '../domain/order.ts';

export interface OrdersTable {
  id: string;
  customer_id: string;
  status: OrderStatus;
  cancellation_reason: CancellationReason | null;
  stock_reserved_at: Date | null;
  // bigint comes back from pg as a string; the repository converts it.
  total_cents: ColumnType<string, number, number>;
  currency: string;
  payment_method: string | null;
  placed_at: Generated<Date>;
  updated_at: ColumnType<Date, never, Date>;
}

export interface OrderLinesTable {
  order_id: string;
  position: number;
  product_id: string;
  quantity: number;
  unit_price_cents: ColumnType<string, number, never>;
}

export interface IdempotencyKeysTable {
  customer_id: string;
  key: string;
  request_hash: string;
  order_id: string;
  created_at: Generated<Date>;
}

export interface OrderingTables {
  orders: OrdersTable;
  order_lines: OrderLinesTable;
  idempotency_keys: IdempotencyKeysTable;
}

export type OrderRow = Selectable<OrdersTable>;
export type OrderLineRow = Selectable<OrderLinesTable>;
export type NewOrderRow = Insertable<OrdersTable>;
export type IdempotencyKeyRow = Selectable<IdempotencyKeysTable>;
