import type { Transaction } from 'kysely';
import Type from 'typebox';
import type { ModuleClock } from '#platform/clock.ts';
import type { Config } from '#platform/config.ts';
import { defineEvent } from '#platform/events/event-definition.ts';
import type { OrderingTables } from '../infrastructure/orders.table.ts';

/**
 * Ordering's own deadline for a pending order, published with a due time when the order is placed. Private: not in
 * the contract, and only ordering subscribes (events/on-ordering-order-expiry-due.ts). Being an outbox event, it
 * commits with the order, survives restarts and is handled once however many instances run.
 */
export const OrderExpiryDue = defineEvent({
  name: 'ordering.OrderExpiryDue',
  version: 1,
  description: "A pending order's deadline has come: if it is still pending, it expires.",
  schema: Type.Object({ orderId: Type.String({ format: 'uuid' }) }),
  key: (payload) => payload.orderId,
});

export interface OrderExpiry {
  /** Sets the order's deadline, ORDER_PENDING_TIMEOUT_MS from now, in the transaction that places it. */
  schedule(orderId: string, trx: Transaction<OrderingTables>): Promise<void>;
}

export function makeOrderExpiry({ clock, config }: { clock: ModuleClock; config: Config }): OrderExpiry {
  return {
    async schedule(orderId, trx) {
      await clock.at(trx, new Date(clock.now().getTime() + config.orderPendingTimeoutMs), OrderExpiryDue, { orderId });
    },
  };
}
