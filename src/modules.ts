import type { AnyModule } from '#platform/modules/define-module.ts';
import { catalogModule } from '../modules/catalog/index.ts';
import { inventoryModule } from '../modules/inventory/index.ts';
import { paymentsModule } from '../modules/payments/index.ts';
import { orderingModule } from '../modules/ordering/index.ts';
import { orderHistoryModule } from '../modules/order-history/index.ts';

/**
 * Every module of the system by name, with its manifest's own types: the test harness (src/testing.ts) types each
 * module's registrations, API and dependencies from it.
 */
export const moduleByName = {
  catalog: catalogModule,
  inventory: inventoryModule,
  payments: paymentsModule,
  ordering: orderingModule,
  'order-history': orderHistoryModule,
} as const;

/** Every module of the system. The only file that imports `modules/<name>/index.ts`. */
export const modules: readonly AnyModule[] = Object.values(moduleByName);

export const moduleNames: readonly string[] = modules.map((module) => module.name);
