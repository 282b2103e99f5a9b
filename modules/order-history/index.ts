import { defineModule } from '#platform/modules/define-module.ts';
import { makeListMyOrders } from './application/list-my-orders.ts';
import { onCatalogProductChanged } from './events/on-catalog-product-changed.ts';
import { onCatalogProductCreated } from './events/on-catalog-product-created.ts';
import { onOrderingOrderCancelled } from './events/on-ordering-order-cancelled.ts';
import { onOrderingOrderConfirmed } from './events/on-ordering-order-confirmed.ts';
import { onOrderingOrderPlaced } from './events/on-ordering-order-placed.ts';
import { onOrderingPaymentRequested } from './events/on-ordering-payment-requested.ts';
import { onPaymentsPaymentCaptured } from './events/on-payments-payment-captured.ts';
import { onPaymentsPaymentDeclined } from './events/on-payments-payment-declined.ts';
import { myOrdersRoutes } from './http/my-orders-routes.ts';
import { makeOrderSummariesRepository } from './infrastructure/order-summaries-repository.ts';
import { makeProductNamesRepository } from './infrastructure/product-names-repository.ts';
import { makeProjectionStateRepository } from './infrastructure/projection-state-repository.ts';

/**
 * Its handlers (events/) are the projection: each writes through the subscriber's transaction, so its effect commits
 * with the record that the event was handled, and notes the event in the projection state, which the page reports as
 * its freshness. Events of one producer about one order arrive in order; events of different producers do not (a
 * payment's outcome can overtake the OrderPlaced it follows, a product's name can come after an order that lists it).
 * So no handler assumes another has run: each upserts, and statuses only move forward (domain/order-summary.ts).
 */
export const orderHistoryModule = defineModule({
  name: 'order-history',
  description:
    "Customers' orders as one page: a read model (CQRS) copied from the events of catalog, ordering and payments, so the page is one query on this module's own tables instead of calls to three modules. It calls no other module's API; it only subscribes.",
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
    onCatalogProductCreated,
    onCatalogProductChanged,
    onOrderingOrderPlaced,
    onOrderingPaymentRequested,
    onOrderingOrderConfirmed,
    onOrderingOrderCancelled,
    onPaymentsPaymentCaptured,
    onPaymentsPaymentDeclined,
  ],
});
