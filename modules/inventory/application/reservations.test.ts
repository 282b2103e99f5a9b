import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { useModule } from '#testing';
import type { ModuleDb } from '#platform/db/module-database.ts';
import type { DeliveredEvent } from '#platform/events/subscription.ts';
import { tokens } from '../../../test/support/test-app.ts';
import type { EventPayload } from '#platform/events/event-definition.ts';
import { OrderPlacedV1 } from '../../ordering/contract.ts';
import type { InventoryTables } from '../infrastructure/inventory.table.ts';
import type { OrderToReserve, ReserveStock, SettleReservation } from './reservations.ts';

const app = useModule('inventory', { dependencies: 'stubbed' });
let db: ModuleDb<InventoryTables>;
let reserveStock: ReserveStock;
let sellReservedStock: SettleReservation;
let releaseReservedStock: SettleReservation;
beforeAll(async () => {
  db = app.module('inventory').db();
  reserveStock = app.module('inventory').deps.reserveStock;
  sellReservedStock = app.module('inventory').deps.sellReservedStock;
  releaseReservedStock = app.module('inventory').deps.releaseReservedStock;
});

/** A product with this much stock, set through the API. */
async function product(onHand: number): Promise<string> {
  const productId = randomUUID();
  const response = await app.inject({ method: 'PUT', url: `/inventory/items/${productId}`, headers: tokens(app).admin, payload: { onHand } });
  expect(response.statusCode, response.body).toBe(201);
  return productId;
}

async function stockOf(productId: string) {
  const response = await app.inject({ method: 'GET', url: `/inventory/items/${productId}` });
  return response.json<{ onHand: number; reserved: number; available: number }>();
}

const order = (lines: Array<[productId: string, quantity: number]>): OrderToReserve => ({
  orderId: randomUUID(),
  lines: lines.map(([productId, quantity]) => ({ productId, quantity })),
});

const place = (toReserve: OrderToReserve) => db.transaction().execute((trx) => reserveStock(toReserve, trx));
const confirm = (orderId: string) => db.transaction().execute((trx) => sellReservedStock(orderId, trx));
const cancel = (orderId: string) => db.transaction().execute((trx) => releaseReservedStock(orderId, trx));

/** What inventory published about an order, read from its outbox (both its events are keyed by order id). */
async function publishedFor(orderId: string): Promise<Array<{ name: string; payload: Record<string, unknown> }>> {
  const { rows } = await sql<{ name: string; payload: Record<string, unknown> }>`select name, payload from seams_outbox where key = ${orderId} order by seq`.execute(db);
  return rows;
}

async function reservationsOf(orderId: string) {
  const rows = await db.selectFrom('reservations').select(['product_id', 'quantity', 'status']).where('order_id', '=', orderId).orderBy('product_id').execute();
  return rows.map((row) => ({ productId: row.product_id, quantity: Number(row.quantity), status: row.status }));
}

describe('reserving stock for a placed order', () => {
  it('reserves every line and publishes StockReserved', async () => {
    const mug = await product(5);
    const tea = await product(3);
    const placed = order([
      [mug, 2],
      [tea, 3],
    ]);

    await place(placed);

    expect(await stockOf(mug)).toMatchObject({ onHand: 5, reserved: 2, available: 3 });
    expect(await stockOf(tea)).toMatchObject({ onHand: 3, reserved: 3, available: 0 });
    expect(await publishedFor(placed.orderId)).toEqual([
      {
        name: 'inventory.StockReserved',
        payload: { orderId: placed.orderId },
      },
    ]);
    expect(await reservationsOf(placed.orderId)).toEqual(
      expect.arrayContaining([
        { productId: mug, quantity: 2, status: 'reserved' },
        { productId: tea, quantity: 3, status: 'reserved' },
      ]),
    );
  });

  it('reserves nothing when one line is short, and names only the short products with what was available', async () => {
    const mug = await product(5);
    const tea = await product(1);
    const unknown = randomUUID();
    const placed = order([
      [mug, 2],
      [tea, 2],
      [unknown, 1],
    ]);

    await place(placed);

    expect(await stockOf(mug)).toMatchObject({ onHand: 5, reserved: 0 });
    expect(await stockOf(tea)).toMatchObject({ onHand: 1, reserved: 0 });
    const [rejected, ...others] = await publishedFor(placed.orderId);
    expect(others).toEqual([]);
    expect(rejected!.name).toBe('inventory.StockRejected');
    expect(rejected!.payload).toEqual({
      orderId: placed.orderId,
      shortProducts: expect.arrayContaining([
        { productId: tea, requested: 2, available: 1 },
        { productId: unknown, requested: 1, available: 0 },
      ]),
    });
    expect((rejected!.payload.shortProducts as unknown[]).length).toBe(2);
  });

  it('fails, holding nothing, on an order that repeats a product (which ordering refuses, so never publishes)', async () => {
    const mug = await product(5);
    const repeated = order([
      [mug, 2],
      [mug, 3],
    ]);
    // One reservation row per (order, product): the database refuses the second, and the handler's transaction rolls back.
    await expect(place(repeated)).rejects.toThrow(/reservations_pkey/);
    expect(await stockOf(mug)).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
    expect(await publishedFor(repeated.orderId)).toEqual([]);
  });

  it('lets the next order have only what is left, never more than on hand', async () => {
    const mug = await product(3);
    const first = order([[mug, 2]]);
    const second = order([[mug, 2]]);

    await place(first);
    await place(second);

    expect((await publishedFor(first.orderId))[0]!.name).toBe('inventory.StockReserved');
    expect((await publishedFor(second.orderId))[0]).toMatchObject({
      name: 'inventory.StockRejected',
      payload: { shortProducts: [{ productId: mug, requested: 2, available: 1 }] },
    });
    expect(await stockOf(mug)).toMatchObject({ onHand: 3, reserved: 2, available: 1 });
  });

  it('does nothing for an order it has decided already, reserved or rejected', async () => {
    const mug = await product(5);
    const reserved = order([[mug, 2]]);
    await place(reserved);
    await place(reserved);
    expect(await stockOf(mug)).toMatchObject({ reserved: 2 });
    expect(await publishedFor(reserved.orderId)).toHaveLength(1);

    const rejected = order([[mug, 4]]);
    await place(rejected);
    await app.inject({ method: 'PUT', url: `/inventory/items/${mug}`, headers: tokens(app).admin, payload: { onHand: 100 } });
    await place(rejected);
    expect(await stockOf(mug)).toMatchObject({ onHand: 100, reserved: 2 });
    expect((await publishedFor(rejected.orderId)).map((event) => event.name)).toEqual(['inventory.StockRejected']);
  });

  it('holds exactly what exists when many orders race for the same stock, without deadlocking on opposite line orders', async () => {
    const mug = await product(10);
    const tea = await product(10);
    const orders = Array.from({ length: 16 }, (_, i) =>
      order(
        i % 2 === 0
          ? [
              [mug, 1],
              [tea, 1],
            ]
          : [
              [tea, 1],
              [mug, 1],
            ],
      ),
    );

    await Promise.all(orders.map(place));

    const outcomes = await Promise.all(orders.map(async (placed) => (await publishedFor(placed.orderId))[0]!.name));
    expect(outcomes.filter((name) => name === 'inventory.StockReserved')).toHaveLength(10);
    expect(outcomes.filter((name) => name === 'inventory.StockRejected')).toHaveLength(6);
    expect(await stockOf(mug)).toMatchObject({ onHand: 10, reserved: 10, available: 0 });
    expect(await stockOf(tea)).toMatchObject({ onHand: 10, reserved: 10, available: 0 });
  });

  it('is what the OrderPlaced subscription runs, in the handler transaction', async () => {
    const mug = await product(4);
    const handler = app.module('inventory').handler(OrderPlacedV1);
    const orderId = randomUUID();
    const event: DeliveredEvent<EventPayload<typeof OrderPlacedV1>> = {
      id: randomUUID(),
      name: 'ordering.OrderPlaced',
      version: 1,
      key: orderId,
      occurredAt: new Date(),
      attempt: 1,
      afterCommit: () => undefined,
      payload: { orderId, customerId: 'c-1', lines: [{ productId: mug, quantity: 3, unitPriceCents: 100 }], totalCents: 300, currency: 'EUR', placedAt: new Date().toISOString() },
    };

    // A handler whose transaction rolls back leaves no trace: neither the reservation nor the event.
    await expect(
      db.transaction().execute(async (trx) => {
        await handler(event, trx);
        throw new Error('rolled back after the handler');
      }),
    ).rejects.toThrow('rolled back');
    expect(await stockOf(mug)).toMatchObject({ reserved: 0 });
    expect(await publishedFor(orderId)).toEqual([]);

    await db.transaction().execute((trx) => handler(event, trx));
    expect(await stockOf(mug)).toMatchObject({ reserved: 3 });
    expect((await publishedFor(orderId)).map((published) => published.name)).toEqual(['inventory.StockReserved']);
  });
});

describe('settling a reservation', () => {
  it('turns the reservation into a sale when the order is confirmed, once', async () => {
    const mug = await product(5);
    const tea = await product(2);
    const placed = order([
      [mug, 2],
      [tea, 2],
    ]);
    await place(placed);

    await confirm(placed.orderId);
    await confirm(placed.orderId);

    expect(await stockOf(mug)).toEqual({ productId: mug, onHand: 3, reserved: 0, available: 3 });
    expect(await stockOf(tea)).toEqual({ productId: tea, onHand: 0, reserved: 0, available: 0 });
    expect((await reservationsOf(placed.orderId)).map((reservation) => reservation.status)).toEqual(['sold', 'sold']);
  });

  it('frees the reserved stock when the order is cancelled, once, and on hand stays as it was', async () => {
    const mug = await product(5);
    const placed = order([[mug, 4]]);
    await place(placed);

    await cancel(placed.orderId);
    await cancel(placed.orderId);

    expect(await stockOf(mug)).toEqual({ productId: mug, onHand: 5, reserved: 0, available: 5 });
    expect(await reservationsOf(placed.orderId)).toEqual([{ productId: mug, quantity: 4, status: 'released' }]);
    // Only an order cancelled before it was seen is remembered as such.
    const remembered = await db.selectFrom('cancelled_before_reserved').select('order_id').where('order_id', '=', placed.orderId).execute();
    expect(remembered).toEqual([]);
  });

  it('releases nothing for an order cancelled because it was out of stock', async () => {
    const mug = await product(3);
    const holder = order([[mug, 2]]);
    await place(holder);
    const rejected = order([[mug, 2]]);
    await place(rejected);

    await cancel(rejected.orderId);

    expect(await stockOf(mug)).toMatchObject({ onHand: 3, reserved: 2 });
    expect(await reservationsOf(rejected.orderId)).toEqual([{ productId: mug, quantity: 2, status: 'rejected' }]);
  });

  it('neither sells a cancelled order nor releases a sold one', async () => {
    const mug = await product(6);
    const cancelled = order([[mug, 1]]);
    const sold = order([[mug, 2]]);
    await place(cancelled);
    await place(sold);

    await cancel(cancelled.orderId);
    await confirm(cancelled.orderId);
    await confirm(sold.orderId);
    await cancel(sold.orderId);

    expect(await stockOf(mug)).toEqual({ productId: mug, onHand: 4, reserved: 0, available: 4 });
  });

  it('changes nothing for an order it never saw', async () => {
    await expect(confirm(randomUUID())).resolves.toBeUndefined();
    await expect(cancel(randomUUID())).resolves.toBeUndefined();
  });

  it('reserves nothing for an order whose cancellation it handled first, so no stock stays held for it', async () => {
    // Each subscription keeps its own pace: an order that expired while inventory was behind can be cancelled here
    // before its OrderPlaced is handled.
    const mug = await product(4);
    const late = order([[mug, 3]]);

    await cancel(late.orderId);
    await place(late);
    await place(late);

    expect(await stockOf(mug)).toEqual({ productId: mug, onHand: 4, reserved: 0, available: 4 });
    expect(await reservationsOf(late.orderId)).toEqual([]);
    expect(await publishedFor(late.orderId)).toEqual([]);
  });
});

describe('the stock invariants in the database', () => {
  it.each([
    ['on hand below zero', { on_hand: -1, reserved: 0 }, 'items_on_hand_not_negative'],
    ['reserved below zero', { on_hand: 1, reserved: -1 }, 'items_reserved_not_negative'],
    ['more reserved than on hand', { on_hand: 1, reserved: 2 }, 'items_reserved_within_on_hand'],
  ])('refuses %s whatever the code does', async (_case, values, constraint) => {
    const productId = await product(1);
    await expect(db.updateTable('items').set(values).where('product_id', '=', productId).execute()).rejects.toThrow(constraint);
  });
});
