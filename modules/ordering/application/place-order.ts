import { createHash, randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { ModuleDb } from '#platform/db/module-database.ts';
import type { Publisher } from '#platform/events/publisher.ts';
import type { CatalogApi } from '../../catalog/contract.ts';
import { OrderPlaced } from '../contract.ts';
import { assertOneLinePerProduct, priceLines, type Order, type RequestedLine } from '../domain/order.ts';
import { IdempotencyKeyReusedError } from '../domain/order-errors.ts';
import type { IdempotencyKeyClaim, IdempotencyKeysRepository } from '../infrastructure/idempotency-keys-repository.ts';
import type { OrdersRepository } from '../infrastructure/orders-repository.ts';
import type { OrderExpiry } from './order-expiry.ts';
import type { OrderMetrics } from './order-metrics.ts';
import type { OrderingTables } from '../infrastructure/orders.table.ts';

export interface PlaceOrderCommand {
  readonly customerId: string;
  readonly lines: readonly RequestedLine[];
  /** The customer's payment token, passed on to payments once the stock is reserved. */
  readonly paymentMethod?: string | undefined;
  /** The client's Idempotency-Key: a retry with the same key gets the first order back instead of a second order. */
  readonly idempotencyKey?: string | undefined;
}

export interface PlaceOrderResult {
  readonly order: Order;
  /** True when an earlier request with the same Idempotency-Key placed the order. */
  readonly replayed: boolean;
}

export type PlaceOrder = (command: PlaceOrderCommand) => Promise<PlaceOrderResult>;

type Deps = {
  db: ModuleDb<OrderingTables>;
  events: Publisher;
  catalogApi: CatalogApi;
  ordersRepository: OrdersRepository;
  idempotencyKeysRepository: IdempotencyKeysRepository;
  orderMetrics: OrderMetrics;
  orderExpiry: OrderExpiry;
};

/**
 * Places a pending order at the catalog's prices of this moment and announces it, in one transaction. With an
 * Idempotency-Key, the key is claimed in that same transaction: of any number of concurrent requests with one key,
 * one places the order and the others wait for its commit and answer with that order.
 */
export function makePlaceOrder({ db, events, catalogApi, ordersRepository, idempotencyKeysRepository, orderMetrics, orderExpiry }: Deps): PlaceOrder {
  async function replay(claim: IdempotencyKeyClaim, requestHash: string, trx?: Transaction<OrderingTables>): Promise<PlaceOrderResult> {
    if (claim.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
    const order = await ordersRepository.findById(claim.orderId, trx);
    if (!order) throw new Error(`Idempotency key of customer ${claim.customerId} names order ${claim.orderId}, which does not exist`);
    return { order, replayed: true };
  }

  return async (command) => {
    const { customerId, paymentMethod, idempotencyKey } = command;
    // Ids are compared as text (here and in the catalog's answer), and Postgres writes uuids in lowercase.
    const lines = command.lines.map((line) => ({ productId: line.productId.toLowerCase(), quantity: line.quantity }));
    const requestHash = fingerprint(lines, paymentMethod);

    // A retry after a success needs no new quote, and gets its order even if the catalog changed since.
    const earlier = idempotencyKey === undefined ? undefined : await idempotencyKeysRepository.find(customerId, idempotencyKey);
    if (earlier) return replay(earlier, requestHash);

    assertOneLinePerProduct(lines);
    const { products } = await catalogApi.getProducts({ ids: lines.map((line) => line.productId) });
    const priced = priceLines(lines, products);
    // Announced with each line, as quoted: the order history shows the name the customer saw.
    const nameOf = new Map(products.map((product) => [product.id, product.name]));
    const orderId = randomUUID();

    const result = await db.transaction().execute(async (trx) => {
      if (idempotencyKey !== undefined) {
        const claimed = await idempotencyKeysRepository.claim({ customerId, key: idempotencyKey, requestHash, orderId }, trx);
        // Lost the race: a concurrent request with this key committed first, and this transaction can see it now.
        if (!claimed) return replay((await idempotencyKeysRepository.find(customerId, idempotencyKey, trx))!, requestHash, trx);
      }
      const order = await ordersRepository.insert({ id: orderId, customerId, ...priced, paymentMethod }, trx);
      await events.publish(trx, OrderPlaced, {
        orderId,
        customerId,
        lines: order.lines.map((line) => ({ ...line, productName: nameOf.get(line.productId)! })),
        totalCents: order.totalCents,
        currency: order.currency,
        placedAt: order.placedAt.toISOString(),
      });
      // The deadline commits with the order: a pending order expires even if this process dies right after.
      await orderExpiry.schedule(orderId, trx);
      return { order, replayed: false };
    });
    if (!result.replayed) orderMetrics.placed();
    return result;
  };
}

/** Identifies a request's content, so a key reused for a different order can be told from a retry. */
function fingerprint(lines: readonly RequestedLine[], paymentMethod: string | undefined): string {
  const canonical = JSON.stringify({ lines: lines.map((line) => [line.productId, line.quantity]), paymentMethod: paymentMethod ?? null });
  return createHash('sha256').update(canonical).digest('hex');
}
