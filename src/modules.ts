import type { AnyModule } from '#platform/modules/define-module.ts';
import { catalogModule } from '../modules/catalog/index.ts';
import { inventoryModule } from '../modules/inventory/index.ts';
import { paymentsModule } from '../modules/payments/index.ts';
import { orderingModule } from '../modules/ordering/index.ts';
import { orderHistoryModule } from '../modules/order-history/index.ts';

/** Every module of the system. The only file that imports `modules/<name>/index.ts`. */
export const modules: readonly AnyModule[] = [catalogModule, inventoryModule, paymentsModule, orderingModule, orderHistoryModule];

export const moduleNames: readonly string[] = modules.map((module) => module.name);
