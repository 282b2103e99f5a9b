import { sql, type Transaction } from 'kysely';
import { compileOnce, runCompiled } from '#platform/db/compiled-query.ts';
import type { ModuleDb } from '#platform/db/module-database.ts';
import type { Order, OrderHeader, OrderLine, OrderProgress } from '../domain/order.ts';
import type { OrderingTables, OrderLineRow, OrderRow } from './orders.table.ts';

export interface NewOrder {
  readonly id: string;
  readonly customerId: string;
  readonly lines: readonly OrderLine[];
  readonly totalCents: number;
  readonly currency: string;
  readonly paymentMethod: string | undefined;
}

export interface OrdersRepository {
  /** Saves a pending order with its lines. */
  insert(order: NewOrder, trx: Transaction<OrderingTables>): Promise<Order>;
  /** Reads through `trx` when given, e.g. to see an order another transaction just committed. */
  findById(id: string, trx?: Transaction<OrderingTables>): Promise<Order | undefined>;
  /** Reads the order and locks its row until `trx` ends, so two events about one order are decided one after the other. */
  lockById(id: string, trx: Transaction<OrderingTables>): Promise<OrderHeader | undefined>;
  saveProgress(id: string, progress: OrderProgress, trx: Transaction<OrderingTables>): Promise<void>;
}

export function makeOrdersRepository({ db }: { db: ModuleDb<OrderingTables> }): OrdersRepository {
  // Reading an order (GET /orders/:id, and every step of its process) is the module's hottest path: compiled once.
  const orderById = compileOnce(db.selectFrom('orders').selectAll().where('id', '=', ''));
  const linesOf = compileOnce(db.selectFrom('order_lines').selectAll().where('order_id', '=', '').orderBy('position'));
  return {
    async insert(order, trx) {
      const row = await trx
        .insertInto('orders')
        .values({
          id: order.id,
          customer_id: order.customerId,
          status: 'pending',
          total_cents: order.totalCents,
          currency: order.currency,
          payment_method: order.paymentMethod ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('order_lines')
        .values(
          order.lines.map((line, position) => ({
            order_id: order.id,
            position,
            product_id: line.productId,
            quantity: line.quantity,
            unit_price_cents: line.unitPriceCents,
          })),
        )
        .execute();
      return { ...toHeader(row), lines: [...order.lines] };
    },

    async findById(id, trx) {
      const reader = trx ?? db;
      const [row] = await runCompiled(reader, orderById(id));
      if (!row) return undefined;
      const lines = await runCompiled(reader, linesOf(id));
      return { ...toHeader(row), lines: lines.map(toLine) };
    },

    async lockById(id, trx) {
      const row = await trx.selectFrom('orders').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
      return row && toHeader(row);
    },

    async saveProgress(id, progress, trx) {
      await trx
        .updateTable('orders')
        .set({
          status: progress.status,
          cancellation_reason: progress.cancellationReason ?? null,
          // Keeps the moment of the reservation once it is known.
          stock_reserved_at: progress.stockReserved ? sql<Date>`coalesce(stock_reserved_at, now())` : null,
          updated_at: new Date(),
        })
        .where('id', '=', id)
        .execute();
    },
  };
}

function toHeader(row: OrderRow): OrderHeader {
  return {
    id: row.id,
    customerId: row.customer_id,
    status: row.status,
    cancellationReason: row.cancellation_reason ?? undefined,
    stockReserved: row.stock_reserved_at !== null,
    totalCents: Number(row.total_cents),
    currency: row.currency,
    paymentMethod: row.payment_method ?? undefined,
    placedAt: row.placed_at,
  };
}

function toLine(row: OrderLineRow): OrderLine {
  return { productId: row.product_id, quantity: row.quantity, unitPriceCents: Number(row.unit_price_cents) };
}
