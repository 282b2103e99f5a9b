import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useModule } from '#testing';
import { StockRejected, StockReserved } from '../../modules/inventory/contract.ts';
import { OrderPlaced } from '../../modules/ordering/contract.ts';

// The one-module boot: inventory alone, with ordering (which it subscribes to) as a stub of its contract.
const inventory = useModule('inventory', { dependencies: 'stubbed' });

function placed(productId: string, quantity: number) {
  const orderId = randomUUID();
  return {
    orderId,
    customerId: 'customer-1',
    lines: [{ productId, productName: 'Mug', quantity, unitPriceCents: 500 }],
    totalCents: 500 * quantity,
    currency: 'EUR',
    placedAt: new Date().toISOString(),
  };
}

describe('useModule with stubbed dependencies', () => {
  it('runs the module and a stub of each module it depends on, nothing else', () => {
    expect(inventory.running).toEqual(['inventory', 'ordering']);
  });

  it('creates only the module schemas of what runs, and no migrations for the stubs', async () => {
    const { rows } = await sql<{ schema: string }>`select nspname as schema from pg_namespace where nspname in ('catalog', 'inventory', 'ordering', 'payments', 'order_history') order by 1`.execute(inventory.db());
    expect(rows.map((row) => row.schema)).toEqual(['inventory', 'ordering']);
    const tables = await sql<{ table: string }>`select table_name as table from information_schema.tables where table_schema = 'ordering' order by 1`.execute(inventory.db());
    // The stub's schema has the event bus's tables only (to inject events from), none of ordering's own.
    expect(tables.rows.map((row) => row.table).filter((name) => !name.startsWith('seams_'))).toEqual([]);
  });

  it('gives typed access to the module registrations', async () => {
    const productId = randomUUID();
    await inventory.deps.setStock(productId, 4);
    expect(await inventory.deps.getStock(productId)).toMatchObject({ productId, onHand: 4, reserved: 0 });
  });

  it('handles an injected event from a stubbed producer, through the real outbox', async () => {
    const productId = randomUUID();
    await inventory.deps.setStock(productId, 3);
    const order = placed(productId, 2);
    const reserved = await inventory.scenario
      .publish(OrderPlaced, order)
      .andWaitForEvent(StockReserved, (event) => event.orderId === order.orderId)
      .toArriveWithin('5s');
    expect(reserved).toEqual({ orderId: order.orderId });
    expect(await inventory.deps.getStock(productId)).toMatchObject({ onHand: 3, reserved: 2, available: 1 });
    await inventory.scenario.expectNotPublished(StockRejected, (event) => event.orderId === order.orderId);
  });
});
