import { subscribe } from '#platform/events/subscription.ts';
import { OrderPlacedV1 } from '../../ordering/contract.ts';
import type { ReserveStock } from '../application/reservations.ts';

/**
 * An order was placed: reserve its stock, or reject it. Takes v1 of OrderPlaced: the products and quantities are all
 * inventory needs, and ordering's contract downcasts what it publishes now (v2) for it.
 */
export const onOrderingOrderPlaced = subscribe(OrderPlacedV1, ({ reserveStock }: { reserveStock: ReserveStock }) => (event, trx) => reserveStock(event.payload, trx));
