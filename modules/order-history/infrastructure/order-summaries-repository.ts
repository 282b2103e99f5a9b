import { sql, type Expression, type RawBuilder, type Transaction } from 'kysely';
import { jsonBuildObject } from 'kysely/helpers/postgres';
import type { ModuleDb } from '#platform/db/module-database.ts';
import {
  ORDER_STATUS_RANK,
  PAYMENT_STATUS_RANK,
  type OrderChange,
  type OrderHistoryPage,
  type OrderStatus,
  type OrderSummary,
  type PaymentStatus,
  type PlacedLine,
} from '../domain/order-summary.ts';
import type { OrderHistoryTables } from './order-history.table.ts';

export interface OrderSummariesRepository {
  /**
   * Applies what one event tells about an order, in one atomic upsert: creates the row if this is the order's first
   * event, otherwise fills in the facts the event brings and moves the statuses forward only (never back), so events
   * that arrive out of order converge on the same row.
   */
  apply(change: OrderChange, trx: Transaction<OrderHistoryTables>): Promise<void>;
  /** Adds the lines of a placed order. Idempotent: lines already there are left as they are. */
  addLines(orderId: string, lines: readonly PlacedLine[], trx: Transaction<OrderHistoryTables>): Promise<void>;
  /**
   * A customer's newest placed orders with their lines and the products' current names (else as ordered), and the read model's
   * freshness, in ONE SQL statement on this module's own tables. Orders whose OrderPlaced has not arrived yet are
   * left out: their lines and total are not known.
   */
  pageForCustomer(customerId: string, limit: number): Promise<OrderHistoryPage>;
}

export function makeOrderSummariesRepository({ db }: { db: ModuleDb<OrderHistoryTables> }): OrderSummariesRepository {
  return {
    async apply(change, trx) {
      const statusMovesForward = sql<boolean>`${rank(sql.ref('excluded.status'), ORDER_STATUS_RANK)} > ${rank(sql.ref('order_summaries.status'), ORDER_STATUS_RANK)}`;
      const paymentMovesForward = sql<boolean>`${rank(sql.ref('excluded.payment_status'), PAYMENT_STATUS_RANK)} > ${rank(sql.ref('order_summaries.payment_status'), PAYMENT_STATUS_RANK)}`;
      await trx
        .insertInto('order_summaries')
        .values({
          order_id: change.orderId,
          customer_id: change.customerId ?? null,
          status: change.status,
          cancellation_reason: change.status === 'cancelled' ? (change.cancellationReason ?? null) : null,
          payment_status: change.paymentStatus,
          total_cents: change.totalCents ?? null,
          currency: change.currency ?? null,
          placed_at: change.placedAt ?? null,
          updated_at: change.occurredAt,
        })
        .onConflict((conflict) =>
          conflict.column('order_id').doUpdateSet((eb) => ({
            customer_id: eb.fn.coalesce('excluded.customer_id', 'order_summaries.customer_id'),
            status: sql<string>`case when ${statusMovesForward} then excluded.status else order_summaries.status end`,
            cancellation_reason: sql<string | null>`case when ${statusMovesForward} then excluded.cancellation_reason else order_summaries.cancellation_reason end`,
            payment_status: sql<string>`case when ${paymentMovesForward} then excluded.payment_status else order_summaries.payment_status end`,
            total_cents: sql<number | null>`coalesce(excluded.total_cents, order_summaries.total_cents)`,
            currency: eb.fn.coalesce('excluded.currency', 'order_summaries.currency'),
            placed_at: eb.fn.coalesce('excluded.placed_at', 'order_summaries.placed_at'),
            updated_at: sql<Date>`greatest(excluded.updated_at, order_summaries.updated_at)`,
          })),
        )
        .execute();
    },

    async addLines(orderId, lines, trx) {
      if (lines.length === 0) return;
      await trx
        .insertInto('order_summary_lines')
        .values(
          lines.map((line, index) => ({
            order_id: orderId,
            line_no: index + 1,
            product_id: line.productId,
            product_name: line.productName,
            quantity: line.quantity,
            unit_price_cents: line.unitPriceCents,
          })),
        )
        .onConflict((conflict) => conflict.columns(['order_id', 'line_no']).doNothing())
        .execute();
    },

    async pageForCustomer(customerId, limit) {
      const row = await db
        .selectNoFrom((eb) => [
          eb.selectFrom('projection_state').select((state) => state.fn.max('last_event_at').as('at')).as('last_event_at'),
          eb
            .selectFrom(
              eb
                .selectFrom('order_summaries')
                .selectAll()
                .where('customer_id', '=', customerId)
                .where('placed_at', 'is not', null)
                .orderBy('placed_at', 'desc')
                .orderBy('order_id', 'desc')
                .limit(limit)
                .as('s'),
            )
            .select((page) =>
              page.fn
                .coalesce(
                  page.fn
                    .jsonAgg(
                      jsonBuildObject({
                        orderId: page.ref('s.order_id'),
                        status: page.ref('s.status'),
                        cancellationReason: page.ref('s.cancellation_reason'),
                        totalCents: page.ref('s.total_cents'),
                        currency: page.ref('s.currency'),
                        paymentStatus: page.ref('s.payment_status'),
                        placedAt: page.ref('s.placed_at'),
                        updatedAt: page.ref('s.updated_at'),
                        lines: page
                          .selectFrom('order_summary_lines as l')
                          .leftJoin('product_names as p', 'p.product_id', 'l.product_id')
                          .whereRef('l.order_id', '=', 's.order_id')
                          .select((lines) =>
                            lines.fn
                              .coalesce(
                                lines.fn
                                  .jsonAgg(
                                    jsonBuildObject({
                                      productId: lines.ref('l.product_id'),
                                      // The current name when the catalog's events brought one, else the name as ordered.
                                      productName: lines.fn.coalesce('p.name', 'l.product_name'),
                                      quantity: lines.ref('l.quantity'),
                                      unitPriceCents: lines.ref('l.unit_price_cents'),
                                    }),
                                  )
                                  .orderBy('l.line_no'),
                                emptyJsonArray(),
                              )
                              .as('lines'),
                          ),
                      }),
                    )
                    .orderBy('s.placed_at', 'desc')
                    .orderBy('s.order_id', 'desc'),
                  emptyJsonArray(),
                )
                .as('orders'),
            )
            .as('orders'),
        ])
        .executeTakeFirstOrThrow();
      return {
        orders: (row.orders as unknown as OrderJson[]).map(toOrderSummary),
        lastEventAt: row.last_event_at === null ? undefined : new Date(row.last_event_at),
      };
    },
  };
}

/** `case <status> when 'pending' then 0 ... end`: the domain's ranks, inlined as literals (they are constants). */
function rank(column: Expression<unknown>, ranks: Readonly<Record<string, number>>): RawBuilder<number> {
  const whens = Object.entries(ranks).map(([status, value]) => sql`when ${sql.lit(status)} then ${sql.lit(value)}`);
  return sql<number>`(case ${column} ${sql.join(whens, sql` `)} end)`;
}

function emptyJsonArray() {
  return sql<never[]>`'[]'::json`;
}

/** An order as the page query's json_build_object shapes it: timestamps as ISO strings, bigints as numbers. */
interface OrderJson {
  orderId: string;
  status: string;
  cancellationReason: string | null;
  totalCents: number | null;
  currency: string | null;
  paymentStatus: string;
  placedAt: string | null;
  updatedAt: string;
  lines: Array<{ productId: string; productName: string | null; quantity: number; unitPriceCents: number }>;
}

function toOrderSummary(order: OrderJson): OrderSummary {
  // The page query only returns placed orders, and OrderPlaced sets these together.
  if (order.totalCents === null || order.currency === null || order.placedAt === null) {
    throw new Error(`Order summary ${order.orderId} is listed but was never placed`);
  }
  return {
    orderId: order.orderId,
    // The table's check constraints allow no other values.
    status: order.status as OrderStatus,
    cancellationReason: order.cancellationReason ?? undefined,
    lines: order.lines.map((line) => ({
      productId: line.productId,
      productName: line.productName,
      quantity: line.quantity,
      unitPriceCents: Number(line.unitPriceCents),
    })),
    totalCents: Number(order.totalCents),
    currency: order.currency,
    paymentStatus: order.paymentStatus as PaymentStatus,
    placedAt: new Date(order.placedAt),
    updatedAt: new Date(order.updatedAt),
  };
}
