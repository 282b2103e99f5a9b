import type { Transaction } from 'kysely';
import type { Logger } from '#platform/logger.ts';
import type { Publisher } from '#platform/events/publisher.ts';
import { OrderCancelled, OrderConfirmed, PaymentRequested } from '../contract.ts';
import { decide, type OrderFact } from '../domain/order.ts';
import type { OrdersRepository } from '../infrastructure/orders-repository.ts';
import type { OrderMetrics } from './order-metrics.ts';
import type { OrderingTables } from '../infrastructure/orders.table.ts';

type Trx = Transaction<OrderingTables>;

/** What a step did to the order; the final ones become business metrics once they commit. */
export type OrderStep =
  | { readonly outcome: 'ignored' | 'payment_requested' }
  | { readonly outcome: 'confirmed'; readonly totalCents: number; readonly currency: string }
  | { readonly outcome: 'cancelled'; readonly reason: string };

/**
 * The process manager: it moves each order through its life as inventory and payments report back (the handlers in
 * events/ hand it each fact). Each step runs in the transaction of the event's delivery, so the order's new state, the
 * event it publishes and the record that the incoming event was handled commit together.
 */
export interface OrderProcess {
  /**
   * Applies what happened to the order elsewhere (named as the event that says so) and announces the result. An order
   * that ends is counted through `afterCommit`, so a step that rolls back counts nothing.
   */
  advance(orderId: string, fact: OrderFact, trx: Trx, afterCommit: (callback: () => void) => void): Promise<OrderStep>;
}

type Deps = { ordersRepository: OrdersRepository; orderMetrics: OrderMetrics; events: Publisher; logger: Logger };

export function makeOrderProcess({ ordersRepository, orderMetrics, events, logger }: Deps): OrderProcess {
  async function step(orderId: string, fact: OrderFact, trx: Trx): Promise<OrderStep> {
    // Locked first, so two facts about one order are decided one after the other, each on the other's outcome.
    const order = await ordersRepository.lockById(orderId, trx);
    if (!order) {
      logger.warn({ orderId, fact }, 'event about an order this module never placed; ignored');
      return { outcome: 'ignored' };
    }
    const decision = decide(order, fact);
    if (decision.outcome === 'ignore') {
      // Every settled order meets its deadline later: that is the normal case, not worth a warning.
      if (fact === 'ExpiryDue') logger.debug({ orderId, status: order.status }, 'order deadline passed after it settled; nothing to do');
      else if (order.cancellationReason === 'expired') {
        // Logged once: the handler runs once per event (the inbox), and the order stays as it is.
        logger.warn({ orderId, fact }, 'a late answer for an order that had already expired; it changes nothing');
      } else logger.warn({ orderId, fact, status: order.status }, `event ignored: ${decision.why}`);
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
    async advance(orderId, fact, trx, afterCommit) {
      const result = await step(orderId, fact, trx);
      if (result.outcome === 'confirmed') afterCommit(() => orderMetrics.confirmed(result.totalCents, result.currency));
      if (result.outcome === 'cancelled') afterCommit(() => orderMetrics.cancelled(result.reason));
      return result;
    },
  };
}
