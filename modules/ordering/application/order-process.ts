import type { Transaction } from 'kysely';
import type { Logger } from '#platform/logger.ts';
import type { EventPayload } from '#platform/events/event-definition.ts';
import type { Publisher } from '#platform/events/publisher.ts';
import type { EventHandler } from '#platform/events/subscription.ts';
import type { StockRejected, StockReserved } from '../../inventory/contract.ts';
import type { PaymentCaptured, PaymentDeclined } from '../../payments/contract.ts';
import { OrderCancelled, OrderConfirmed, PaymentRequested } from '../contract.ts';
import { decide, type OrderFact } from '../domain/order.ts';
import type { OrdersRepository } from '../infrastructure/orders-repository.ts';
import type { OrderMetrics } from './order-metrics.ts';
import type { OrderingTables } from '../infrastructure/orders.table.ts';

type Trx = Transaction<OrderingTables>;

/** What a step did to the order; the handlers turn the final ones into business metrics once they commit. */
export type OrderStep =
  | { readonly outcome: 'ignored' | 'payment_requested' }
  | { readonly outcome: 'confirmed'; readonly totalCents: number; readonly currency: string }
  | { readonly outcome: 'cancelled'; readonly reason: string };

/**
 * The process manager: it moves each order through its life as inventory and payments report back. Each step runs in
 * the transaction of the event's delivery, so the order's new state, the event it publishes and the record that the
 * incoming event was handled commit together.
 */
export interface OrderProcess {
  /** Stock is held: ask payments to charge the order. */
  stockReserved(event: EventPayload<typeof StockReserved>, trx: Trx): Promise<OrderStep>;
  /** Not enough stock: cancel the order as out of stock. */
  stockRejected(event: EventPayload<typeof StockRejected>, trx: Trx): Promise<OrderStep>;
  /** Paid: confirm the order. */
  paymentCaptured(event: EventPayload<typeof PaymentCaptured>, trx: Trx): Promise<OrderStep>;
  /** Not paid: cancel the order, which tells inventory to release its stock. */
  paymentDeclined(event: EventPayload<typeof PaymentDeclined>, trx: Trx): Promise<OrderStep>;
}

type Deps = { ordersRepository: OrdersRepository; events: Publisher; logger: Logger };

export function makeOrderProcess({ ordersRepository, events, logger }: Deps): OrderProcess {
  async function advance(orderId: string, fact: OrderFact, trx: Trx): Promise<OrderStep> {
    // Locked first, so two facts about one order are decided one after the other, each on the other's outcome.
    const order = await ordersRepository.lockById(orderId, trx);
    if (!order) {
      logger.warn({ orderId, fact }, 'event about an order this module never placed; ignored');
      return { outcome: 'ignored' };
    }
    const decision = decide(order, fact);
    if (decision.outcome === 'ignore') {
      logger.warn({ orderId, fact, status: order.status }, `event ignored: ${decision.why}`);
      return { outcome: 'ignored' };
    }
    await ordersRepository.saveProgress(orderId, decision.next, trx);
    const { customerId, totalCents, currency, paymentMethod } = order;
    switch (decision.outcome) {
      case 'request_payment':
        await events.publish(trx, PaymentRequested, { orderId, customerId, amountCents: totalCents, currency, ...(paymentMethod === undefined ? {} : { paymentMethod }) });
        return { outcome: 'payment_requested' };
      case 'confirm':
        await events.publish(trx, OrderConfirmed, { orderId, customerId, totalCents, currency });
        return { outcome: 'confirmed', totalCents, currency };
      case 'cancel':
        await events.publish(trx, OrderCancelled, { orderId, customerId, reason: decision.reason });
        return { outcome: 'cancelled', reason: decision.reason };
    }
  }

  return {
    stockReserved: ({ orderId }, trx) => advance(orderId, 'stock_reserved', trx),
    stockRejected: ({ orderId }, trx) => advance(orderId, 'stock_rejected', trx),
    paymentCaptured: ({ orderId }, trx) => advance(orderId, 'payment_captured', trx),
    paymentDeclined: ({ orderId }, trx) => advance(orderId, 'payment_declined', trx),
  };
}

// The subscriptions' handler factories (see index.ts): each hands its event to the process, and counts the order's end
// once the step has committed.
type HandlerDeps = { orderProcess: OrderProcess; orderMetrics: OrderMetrics };

function counted(metrics: OrderMetrics, step: OrderStep, afterCommit: (callback: () => void) => void): void {
  if (step.outcome === 'confirmed') afterCommit(() => metrics.confirmed(step.totalCents, step.currency));
  if (step.outcome === 'cancelled') afterCommit(() => metrics.cancelled(step.reason));
}

export const handleStockReserved =
  ({ orderProcess, orderMetrics }: HandlerDeps): EventHandler<EventPayload<typeof StockReserved>> =>
  async (event, trx) =>
    counted(orderMetrics, await orderProcess.stockReserved(event.payload, trx), event.afterCommit);
export const handleStockRejected =
  ({ orderProcess, orderMetrics }: HandlerDeps): EventHandler<EventPayload<typeof StockRejected>> =>
  async (event, trx) =>
    counted(orderMetrics, await orderProcess.stockRejected(event.payload, trx), event.afterCommit);
export const handlePaymentCaptured =
  ({ orderProcess, orderMetrics }: HandlerDeps): EventHandler<EventPayload<typeof PaymentCaptured>> =>
  async (event, trx) =>
    counted(orderMetrics, await orderProcess.paymentCaptured(event.payload, trx), event.afterCommit);
export const handlePaymentDeclined =
  ({ orderProcess, orderMetrics }: HandlerDeps): EventHandler<EventPayload<typeof PaymentDeclined>> =>
  async (event, trx) =>
    counted(orderMetrics, await orderProcess.paymentDeclined(event.payload, trx), event.afterCommit);
