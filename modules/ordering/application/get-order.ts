import { isVisibleTo, type Order } from '../domain/order.ts';
import { OrderNotFoundError } from '../domain/order-errors.ts';
import type { OrdersRepository } from '../infrastructure/orders-repository.ts';

/** Whoever asks: customers see their own orders, admins see all. */
export interface OrderViewer {
  readonly customerId: string;
  readonly isAdmin: boolean;
}

export type GetOrder = (id: string, viewer: OrderViewer) => Promise<Order>;

export function makeGetOrder({ ordersRepository }: { ordersRepository: OrdersRepository }): GetOrder {
  return async (id, viewer) => {
    const order = await ordersRepository.findById(id);
    // Someone else's order is answered like a missing one, so order ids cannot be probed.
    if (!order || !isVisibleTo(order, viewer)) throw new OrderNotFoundError(id);
    return order;
  };
}
