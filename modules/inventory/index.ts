import { defineModule } from '#platform/modules/define-module.ts';
import { makeReleaseReservedStock, makeReserveStock, makeSellReservedStock } from './application/reservations.ts';
import { makeGetStock, makeSetStock } from './application/stock-use-cases.ts';
import { inventoryContract } from './contract.ts';
import { onOrderingOrderCancelled } from './events/on-ordering-order-cancelled.ts';
import { onOrderingOrderConfirmed } from './events/on-ordering-order-confirmed.ts';
import { onOrderingOrderPlaced } from './events/on-ordering-order-placed.ts';
import { itemsRoutes } from './http/items-routes.ts';
import { makeItemsRepository } from './infrastructure/items-repository.ts';
import { makeReservationsRepository } from './infrastructure/reservations-repository.ts';

export const inventoryModule = defineModule({
  name: 'inventory',
  description: 'Stock per product, and what each order holds of it.',
  owners: ['@seams/inventory-team'],
  dependsOn: {
    ordering: 'reserves stock when an order is placed, sells it when the order is confirmed, releases it when it is cancelled',
  },
  contract: inventoryContract,
  // The contract has no methods: others learn about stock from inventory's events only.
  api: () => ({}),
  register: {
    itemsRepository: makeItemsRepository,
    reservationsRepository: makeReservationsRepository,
    setStock: makeSetStock,
    getStock: makeGetStock,
    reserveStock: makeReserveStock,
    sellReservedStock: makeSellReservedStock,
    releaseReservedStock: makeReleaseReservedStock,
  },
  routes: itemsRoutes,
  subscriptions: [onOrderingOrderPlaced, onOrderingOrderConfirmed, onOrderingOrderCancelled],
});
