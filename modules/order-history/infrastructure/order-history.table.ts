import type { ColumnType, Insertable, Selectable } from 'kysely';

// bigint comes back from pg as a string (and as a number inside json); the repository converts it.
type Cents = ColumnType<string, number, number>;

export interface OrderSummariesTable {
  order_id: string;
  /** Null, like every fact OrderPlaced brings, while the row is a stub made by an event that overtook OrderPlaced. */
  customer_id: string | null;
  status: ColumnType<string, string | undefined, string>;
  cancellation_reason: string | null;
  total_cents: ColumnType<string | null, number | null, number | null>;
  currency: string | null;
  payment_status: ColumnType<string, string | undefined, string>;
  placed_at: Date | null;
  updated_at: Date;
}

export interface OrderSummaryLinesTable {
  order_id: string;
  line_no: number;
  product_id: string;
  /** The name as quoted when the order was placed; null for orders placed before OrderPlaced v2 carried it. */
  product_name: string | null;
  quantity: number;
  unit_price_cents: Cents;
}

export interface ProductNamesTable {
  product_id: string;
  name: string;
  updated_at: Date;
}

export interface ProjectionStateTable {
  /** One row per event type (`ordering.OrderPlaced`). */
  event_name: string;
  /** When the newest applied event of this type happened. */
  last_event_at: Date;
  /** When it was applied. */
  applied_at: Date;
}

export interface OrderHistoryTables {
  order_summaries: OrderSummariesTable;
  order_summary_lines: OrderSummaryLinesTable;
  product_names: ProductNamesTable;
  projection_state: ProjectionStateTable;
}

export type OrderSummaryRow = Selectable<OrderSummariesTable>;
export type NewOrderSummaryRow = Insertable<OrderSummariesTable>;
export type NewOrderSummaryLineRow = Insertable<OrderSummaryLinesTable>;
