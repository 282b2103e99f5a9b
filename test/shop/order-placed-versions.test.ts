import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { useApp } from '#testing';
import { OrderPlacedV1 } from '../../modules/ordering/contract.ts';
import type { OrderingTables } from '../../modules/ordering/infrastructure/orders.table.ts';
import { tokens } from '../support/test-app.ts';
import { shop, type HistoryEntry } from '../support/shop.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * The shop across the deploy that moved ordering.OrderPlaced to v2 (each line with its product's name as quoted).
 * Left from before: an order whose OrderPlaced v1 sits in ordering's outbox, written by ordering's publisher with the
 * v1 definition as the old code did, and a v1 OrderPlaced that order-history dead-lettered. Inventory takes v1 and
 * order-history v2, so both see every OrderPlaced in their own version: the old ones as stored or upcast (no name as
 * quoted: the page shows the catalog's), the one placed now as published or downcast.
 */

const app = useApp();
let s: ReturnType<typeof shop>;
let product: { id: string; name: string };
let customer: ReturnType<typeof tokens>;
const [oldOrder, deadLetterOrder] = [randomUUID(), randomUUID()];
let newOrder: string;

const v1Payload = (orderId: string, quantity: number) => ({
  orderId,
  customerId: customer.customerId,
  lines: [{ productId: product.id, quantity, unitPriceCents: 500 }],
  totalCents: 500 * quantity,
  currency: 'EUR',
  placedAt: new Date().toISOString(),
});

beforeAll(async () => {
  s = shop(app.app);
  customer = tokens(app.app);
  product = await s.productInStock(10, { name: 'Versioned mug', priceCents: 500 });

  // The order placed before the deploy: its row and its v1 event, in one transaction, as ordering's old code wrote them.
  const ordering = app.module('ordering').db<OrderingTables>();
  const { ordersRepository } = app.module('ordering').deps;
  const { events } = app.module('ordering');
  const old = v1Payload(oldOrder, 2);
  await ordering.transaction().execute(async (trx) => {
    await ordersRepository.insert({ id: oldOrder, customerId: old.customerId, lines: old.lines, totalCents: old.totalCents, currency: 'EUR', paymentMethod: 'tok_visa' }, trx);
    await events.publish(trx, OrderPlacedV1, old);
  });

  // A v1 OrderPlaced that order-history's old code failed on until it became a dead letter (its outbox row long gone).
  const history = app.module('order-history').db();
  await sql`insert into seams_parked (subscription, partition, event_id, name, version, key, payload, occurred_at, xid, seq, status, attempts, last_error)
            values ('ordering.OrderPlaced', 0, ${randomUUID()}::uuid, 'ordering.OrderPlaced', 1, ${deadLetterOrder}, ${JSON.stringify(v1Payload(deadLetterOrder, 1))}::jsonb,
                    now(), '1', 1, 'dead', 10, 'Error: the bug of the old code')`.execute(history);

  // After the deploy: an order placed now (v2), and the dead letter replayed.
  newOrder = (await s.placeOrder(customer.customer, { lines: [{ productId: product.id, quantity: 3 }] })).id;
  const replay = await app.inject({ method: 'POST', url: '/admin/events/dead-letters/replay', headers: customer.admin, payload: { module: 'order-history' } });
  expect(replay.statusCode, replay.body).toBe(202);
}, 30_000);

async function historyOf(orderId: string): Promise<HistoryEntry | undefined> {
  return (await s.myOrders(customer.customer)).orders.find((order) => order.orderId === orderId);
}

it('runs the order placed as v1 through inventory, which takes v1, to confirmation', async () => {
  expect(await s.settled(oldOrder)).toMatchObject({ status: 'confirmed' });
  expect(await s.settled(newOrder)).toMatchObject({ status: 'confirmed' });
  // Both reservations were sold: 2 from the v1 event as stored, 3 from the v2 event downcast.
  await s.expectStockEventually(product.id, { onHand: 5, reserved: 0, available: 5 });
});

it("shows every order in the history, which takes v2, named; only the v2 order's line carries the name as quoted", async () => {
  const line = (quantity: number) => [{ productId: product.id, productName: 'Versioned mug', quantity, unitPriceCents: 500 }];
  await waitFor(async () => (await historyOf(oldOrder))?.status === 'confirmed' && (await historyOf(newOrder))?.status === 'confirmed' && (await historyOf(deadLetterOrder)) !== undefined, {
    message: 'the history did not get every order',
  });
  expect(await historyOf(oldOrder)).toMatchObject({ status: 'confirmed', lines: line(2), totalCents: 1000 });
  expect(await historyOf(newOrder)).toMatchObject({ status: 'confirmed', lines: line(3), totalCents: 1500 });
  // Only its OrderPlaced reached the history (the rest of its life is made up): pending, with its lines.
  expect(await historyOf(deadLetterOrder)).toMatchObject({ status: 'pending', lines: line(1), totalCents: 500 });

  // The name as quoted was stored for the v2 order only: the upcast v1 lines have none.
  const history = app.module('order-history').db();
  const { rows } = await sql<{ order_id: string; product_name: string | null }>`select order_id, product_name from order_summary_lines
    where order_id in (${oldOrder}::uuid, ${newOrder}::uuid, ${deadLetterOrder}::uuid)`.execute(history);
  expect(Object.fromEntries(rows.map((row) => [row.order_id, row.product_name]))).toEqual({ [oldOrder]: null, [newOrder]: 'Versioned mug', [deadLetterOrder]: null });
});
