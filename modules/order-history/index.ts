import { subscribe } from '#platform/events/subscription.ts';
import { defineModule } from '#platform/modules/define-module.ts';
import { ProductChanged, ProductCreated } from '../catalog/contract.ts';
import { OrderCancelled, OrderConfirmed, OrderPlaced, PaymentRequested } from '../ordering/contract.ts';
import { PaymentCaptured, PaymentDeclined } from '../payments/contract.ts';
import { makeListMyOrders } from './application/list-my-orders.ts';
import {
  makeOnOrderCancelled,
  makeOnOrderConfirmed,
  makeOnOrderPlaced,
  makeOnPaymentCaptured,
  makeOnPaymentDeclined,
  makeOnPaymentRequested,
  makeOnProductNamed,
} from './application/project-orders.ts';
import { myOrdersRoutes } from './http/my-orders-routes.ts';
import { makeOrderSummariesRepository } from './infrastructure/order-summaries-repository.ts';
import { makeProductNamesRepository } from './infrastructure/product-names-repository.ts';
import { makeProjectionStateRepository } from './infrastructure/projection-state-repository.ts';

/**
 * Customers' orders as one page: a read model (CQRS) copied from the events of catalog, ordering and payments, so
 * the page is one query on this module's own tables instead of calls to three modules. It calls no other module's
 * API; it only subscribes.
 */
export const orderHistoryModule = defineModule({
  name: 'order-history',
  owners: ['@seams/order-history-team'],
  dependsOn: {
    catalog: 'copies product names from its events, to show them next to each order line',
    ordering: 'copies orders, their lines and their status from its events',
    payments: 'copies the outcome of each payment from its events',
  },
  register: {
    orderSummariesRepository: makeOrderSummariesRepository,
    productNamesRepository: makeProductNamesRepository,
    projectionStateRepository: makeProjectionStateRepository,
    listMyOrders: makeListMyOrders,
  },
  routes: myOrdersRoutes,
  subscriptions: [
    subscribe(ProductCreated, makeOnProductNamed),
    subscribe(ProductChanged, makeOnProductNamed),
    subscribe(OrderPlaced, makeOnOrderPlaced),
    subscribe(PaymentRequested, makeOnPaymentRequested),
    subscribe(OrderConfirmed, makeOnOrderConfirmed),
    subscribe(OrderCancelled, makeOnOrderCancelled),
    subscribe(PaymentCaptured, makeOnPaymentCaptured),
    subscribe(PaymentDeclined, makeOnPaymentDeclined),
  ],
});
