import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { useModule } from '#testing';
import type { OrdersRepository } from '../infrastructure/orders-repository.ts';
import type { OrderingTables } from '../infrastructure/orders.table.ts';
import type { OrderProcess } from './order-process.ts';

const app = useModule('ordering', { dependencies: 'stubbed' });
let db: Kysely<OrderingTables>;
let orderProcess: OrderProcess;
let ordersRepository: OrdersRepository;
beforeAll(async () => {
  db = app.module('ordering').db();
  orderProcess = app.module('ordering').deps.orderProcess;
  ordersRepository = app.module('ordering').deps.ordersRepository;
});

type Trx = Transaction<OrderingTables>;

/**
 * Runs the steps in one transaction of ordering's database and rolls it back, so the orders and events they make are
 * never seen by inventory or payments (which run in this app too) and cannot move the orders behind the test's back.
 */
async function inRolledBackTransaction(steps: (trx: Trx) => Promise<void>): Promise<void> {
  const rollback = Symbol('rollback');
  try {
    await db.transaction().execute(async (trx) => {
      await steps(trx);
      throw rollback;
    });
  } catch (error) {
    if (error !== rollback) throw error;
  }
}

/** A pending order saved directly, without OrderPlaced: only the steps under test act on it. */
async function pendingOrder(trx: Trx, { paymentMethod }: { paymentMethod?: string } = { paymentMethod: 'tok_visa' }) {
  return ordersRepository.insert(
    { id: randomUUID(), customerId: `customer-${randomUUID()}`, lines: [{ productId: randomUUID(), quantity: 2, unitPriceCents: 1500 }], totalCents: 3000, currency: 'EUR', paymentMethod },
    trx,
  );
}

async function eventsAbout(orderId: string, trx: Trx) {
  const { rows } = await sql<{ name: string; payload: Record<string, unknown> }>`select name, payload from seams_outbox where key = ${orderId} order by xid, seq`.execute(trx);
  return rows;
}

async function stateOf(orderId: string, trx: Trx) {
  const order = await ordersRepository.findById(orderId, trx);
  return { status: order!.status, cancellationReason: order!.cancellationReason, stockReserved: order!.stockReserved };
}

/** The steps' counters are the handlers' business (events/); these tests look at state and events. */
const noCount = () => undefined;

describe('when inventory reserved the stock', () => {
  it('keeps the order pending, notes the reservation, and requests the payment of the total with the payment method', async () => {
    await inRolledBackTransaction(async (trx) => {
      const order = await pendingOrder(trx);

      await orderProcess.advance(order.id, 'StockReserved', trx, noCount);

      expect(await stateOf(order.id, trx)).toEqual({ status: 'pending', cancellationReason: undefined, stockReserved: true });
      expect(await eventsAbout(order.id, trx)).toEqual([
        { name: 'ordering.PaymentRequested', payload: { orderId: order.id, customerId: order.customerId, amountCents: 3000, currency: 'EUR', paymentMethod: 'tok_visa' } },
      ]);
    });
  });

  it('requests the payment without a payment method when the customer gave none', async () => {
    await inRolledBackTransaction(async (trx) => {
      const order = await pendingOrder(trx, {});
      await orderProcess.advance(order.id, 'StockReserved', trx, noCount);
      const [requested] = await eventsAbout(order.id, trx);
      expect(requested!.payload).not.toHaveProperty('paymentMethod');
    });
  });

  it('requests the payment once when the reservation is reported twice', async () => {
    await inRolledBackTransaction(async (trx) => {
      const order = await pendingOrder(trx);
      await orderProcess.advance(order.id, 'StockReserved', trx, noCount);
      await orderProcess.advance(order.id, 'StockReserved', trx, noCount);
      expect((await eventsAbout(order.id, trx)).map((event) => event.name)).toEqual(['ordering.PaymentRequested']);
    });
  });
});

describe('when inventory rejected the stock', () => {
  it('cancels the order as out of stock and announces it', async () => {
    await inRolledBackTransaction(async (trx) => {
      const order = await pendingOrder(trx);

      await orderProcess.advance(order.id, 'StockRejected', trx, noCount);

      expect(await stateOf(order.id, trx)).toEqual({ status: 'cancelled', cancellationReason: 'out_of_stock', stockReserved: false });
      expect(await eventsAbout(order.id, trx)).toEqual([
        { name: 'ordering.OrderCancelled', payload: { orderId: order.id, customerId: order.customerId, reason: 'out_of_stock' } },
      ]);
    });
  });
});

describe('when payments captured the payment', () => {
  it('confirms the order whose stock is reserved and announces it', async () => {
    await inRolledBackTransaction(async (trx) => {
      const order = await pendingOrder(trx);
      await orderProcess.advance(order.id, 'StockReserved', trx, noCount);

      await orderProcess.advance(order.id, 'PaymentCaptured', trx, noCount);

      expect(await stateOf(order.id, trx)).toEqual({ status: 'confirmed', cancellationReason: undefined, stockReserved: true });
      expect((await eventsAbout(order.id, trx)).at(-1)).toEqual({
        name: 'ordering.OrderConfirmed',
        payload: { orderId: order.id, customerId: order.customerId, totalCents: 3000, currency: 'EUR' },
      });
    });
  });

  it('leaves an order alone whose payment was never requested', async () => {
    await inRolledBackTransaction(async (trx) => {
      const order = await pendingOrder(trx);
      await orderProcess.advance(order.id, 'PaymentCaptured', trx, noCount);
      expect(await stateOf(order.id, trx)).toEqual({ status: 'pending', cancellationReason: undefined, stockReserved: false });
      expect(await eventsAbout(order.id, trx)).toEqual([]);
    });
  });
});

describe('when payments declined the payment', () => {
  it('cancels the order as payment declined, which tells inventory to release the stock', async () => {
    await inRolledBackTransaction(async (trx) => {
      const order = await pendingOrder(trx);
      await orderProcess.advance(order.id, 'StockReserved', trx, noCount);

      await orderProcess.advance(order.id, 'PaymentDeclined', trx, noCount);

      expect(await stateOf(order.id, trx)).toEqual({ status: 'cancelled', cancellationReason: 'payment_declined', stockReserved: true });
      expect((await eventsAbout(order.id, trx)).map((event) => event.name)).toEqual(['ordering.PaymentRequested', 'ordering.OrderCancelled']);
      expect((await eventsAbout(order.id, trx)).at(-1)!.payload).toEqual({ orderId: order.id, customerId: order.customerId, reason: 'payment_declined' });
    });
  });
});

describe('a settled order', () => {
  it('stays as it is, and announces nothing more, whatever is reported after', async () => {
    await inRolledBackTransaction(async (trx) => {
      const order = await pendingOrder(trx);
      await orderProcess.advance(order.id, 'StockReserved', trx, noCount);
      await orderProcess.advance(order.id, 'PaymentCaptured', trx, noCount);

      await orderProcess.advance(order.id, 'PaymentDeclined', trx, noCount);
      await orderProcess.advance(order.id, 'StockRejected', trx, noCount);
      await orderProcess.advance(order.id, 'StockReserved', trx, noCount);

      expect(await stateOf(order.id, trx)).toEqual({ status: 'confirmed', cancellationReason: undefined, stockReserved: true });
      expect((await eventsAbout(order.id, trx)).map((event) => event.name)).toEqual(['ordering.PaymentRequested', 'ordering.OrderConfirmed']);
    });
  });

  it('of an order cancelled for stock is not revived by a late payment', async () => {
    await inRolledBackTransaction(async (trx) => {
      const order = await pendingOrder(trx);
      await orderProcess.advance(order.id, 'StockRejected', trx, noCount);
      await orderProcess.advance(order.id, 'PaymentCaptured', trx, noCount);
      expect(await stateOf(order.id, trx)).toEqual({ status: 'cancelled', cancellationReason: 'out_of_stock', stockReserved: false });
    });
  });
});

it('ignores an event about an order ordering never placed', async () => {
  await inRolledBackTransaction(async (trx) => {
    const orderId = randomUUID();
    await expect(orderProcess.advance(orderId, 'StockReserved', trx, noCount)).resolves.toEqual({ outcome: 'ignored' });
    expect(await eventsAbout(orderId, trx)).toEqual([]);
  });
});
