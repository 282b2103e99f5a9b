import { defineModule } from '#platform/modules/define-module.ts';
import { makeGetOrder } from './application/get-order.ts';
import { makeOrderProcess } from './application/order-process.ts';
import { makePlaceOrder } from './application/place-order.ts';
import { makeOrderMetrics } from './application/order-metrics.ts';
import { makeOrderExpiry } from './application/order-expiry.ts';
import { orderingContract } from './contract.ts';
import { onInventoryStockRejected } from './events/on-inventory-stock-rejected.ts';
import { onInventoryStockReserved } from './events/on-inventory-stock-reserved.ts';
import { onOrderingOrderExpiryDue } from './events/on-ordering-order-expiry-due.ts';
import { onPaymentsPaymentCaptured } from './events/on-payments-payment-captured.ts';
import { onPaymentsPaymentDeclined } from './events/on-payments-payment-declined.ts';
import { ordersRoutes } from './http/orders-routes.ts';
import { makeIdempotencyKeysRepository } from './infrastructure/idempotency-keys-repository.ts';
import { makeOrdersRepository } from './infrastructure/orders-repository.ts';

export const orderingModule = defineModule({
  name: 'ordering',
  description: 'Orders and their lifecycle: places them at current prices, then runs each through stock and payment.',
  owners: ['@seams/ordering-team'],
  dependsOn: {
    catalog: 'prices must be current when an order is placed',
    inventory: 'an order goes on to payment once its stock is reserved, and is cancelled when it cannot be',
    payments: 'an order is confirmed or cancelled by the outcome of its payment',
  },
  contract: orderingContract,
  // The contract has no methods: others learn about orders from ordering's events only.
  api: () => ({}),
  register: {
    ordersRepository: makeOrdersRepository,
    idempotencyKeysRepository: makeIdempotencyKeysRepository,
    placeOrder: makePlaceOrder,
    getOrder: makeGetOrder,
    orderProcess: makeOrderProcess,
    orderMetrics: makeOrderMetrics,
    orderExpiry: makeOrderExpiry,
  },
  routes: ordersRoutes,
  // The last: the deadline ordering sets itself when it places an order (ORDER_PENDING_TIMEOUT_MS).
  subscriptions: [onInventoryStockReserved, onInventoryStockRejected, onPaymentsPaymentCaptured, onPaymentsPaymentDeclined, onOrderingOrderExpiryDue],
});
