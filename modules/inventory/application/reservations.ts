import type { Transaction } from 'kysely';
import type { Logger } from '#platform/logger.ts';
import type { Publisher } from '#platform/events/publisher.ts';
import { StockRejected, StockReserved } from '../contract.ts';
import { decideReservation, type RequestedLine } from '../domain/reservation.ts';
import type { InventoryTables } from '../infrastructure/inventory.table.ts';
import type { ItemsRepository } from '../infrastructure/items-repository.ts';
import type { ReservationsRepository } from '../infrastructure/reservations-repository.ts';

type Deps = { itemsRepository: ItemsRepository; reservationsRepository: ReservationsRepository };

export interface OrderToReserve {
  readonly orderId: string;
  readonly lines: readonly RequestedLine[];
}

/**
 * The use cases below run inside the caller's transaction (an event handler's), so their writes and the events they
 * publish commit together with the record that the event was handled.
 */
export type ReserveStock = (order: OrderToReserve, trx: Transaction<InventoryTables>) => Promise<void>;

/**
 * Reserves every line of an order, or none. Publishes StockReserved, or StockRejected naming each product that was
 * short. The outcome is recorded per product (`reserved` or `rejected`), so an order seen before is left as it is, and
 * so is one whose cancellation was handled first (it publishes nothing: ordering has cancelled it already).
 */
export function makeReserveStock({ itemsRepository, reservationsRepository, events }: Deps & { events: Publisher }): ReserveStock {
  return async ({ orderId, lines }, trx) => {
    if (await reservationsRepository.isDecided(orderId, trx)) return;
    const locked = await itemsRepository.lock(
      lines.map((line) => line.productId),
      trx,
    );
    const available = new Map(locked.map((item) => [item.productId, item.available]));
    const decision = decideReservation(lines, (productId) => available.get(productId) ?? 0);
    if (decision.kind === 'reject') {
      await reservationsRepository.insert(orderId, lines, 'rejected', trx);
      await events.publish(trx, StockRejected, { orderId, shortProducts: [...decision.shortProducts] });
      return;
    }
    for (const { productId, quantity } of decision.lines) await itemsRepository.reserve(productId, quantity, trx);
    await reservationsRepository.insert(orderId, decision.lines, 'reserved', trx);
    await events.publish(trx, StockReserved, { orderId });
  };
}

export type SettleReservation = (orderId: string, trx: Transaction<InventoryTables>) => Promise<void>;

/** The order is confirmed: what it reserved leaves stock (on hand and reserved both go down). */
export function makeSellReservedStock({ itemsRepository, reservationsRepository, logger }: Deps & { logger: Logger }): SettleReservation {
  return async (orderId, trx) => {
    const lines = await reservationsRepository.settle(orderId, 'sold', trx);
    if (lines.length === 0) logger.warn({ orderId }, 'order confirmed without stock reserved for it; nothing to sell');
    // settle() returns product id order: items are locked in the same order as everywhere else.
    for (const { productId, quantity } of lines) await itemsRepository.sell(productId, quantity, trx);
  };
}

/**
 * The order is cancelled: whatever it still holds is free again. An order rejected for stock held nothing. An order
 * not seen yet is remembered, so its OrderPlaced, handled later, reserves nothing.
 */
export function makeReleaseReservedStock({ itemsRepository, reservationsRepository }: Deps): SettleReservation {
  return async (orderId, trx) => {
    const lines = await reservationsRepository.settle(orderId, 'released', trx);
    if (lines.length === 0) await reservationsRepository.markCancelledIfUnseen(orderId, trx);
    for (const { productId, quantity } of lines) await itemsRepository.release(productId, quantity, trx);
  };
}
