import type { ColumnType, Generated, Selectable } from 'kysely';

/** One row per order charged; order_id is unique, so an order can never be recorded as paid twice. */
export interface PaymentsTable {
  id: Generated<string>;
  order_id: string;
  customer_id: string;
  status: 'captured' | 'declined';
  // bigint comes back from pg as a string; the repository converts it.
  amount_cents: ColumnType<string, number, never>;
  currency: string;
  provider_reference: string;
  decline_reason: string | null;
  created_at: Generated<Date>;
}

export interface PaymentsTables {
  payments: PaymentsTable;
}

export type PaymentRow = Selectable<PaymentsTable>;
