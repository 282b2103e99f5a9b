import type { OrderHistoryPage } from '../domain/order-summary.ts';
import type { OrderSummariesRepository } from '../infrastructure/order-summaries-repository.ts';

export type ListMyOrders = (customerId: string, options: { limit: number }) => Promise<OrderHistoryPage>;

/** A customer's newest orders, from the read model only: one query, no calls to the modules that own the data. */
export function makeListMyOrders({ orderSummariesRepository }: { orderSummariesRepository: OrderSummariesRepository }): ListMyOrders {
  return (customerId, { limit }) => orderSummariesRepository.pageForCustomer(customerId, limit);
}
