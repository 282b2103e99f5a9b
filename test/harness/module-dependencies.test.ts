import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { UnscriptedCallError, useModule } from '#testing';
import { OrderPlaced } from '../../modules/ordering/contract.ts';

/** The shop's module schemas that exist in the database `db` is on. */
const schemasIn = async (db: Kysely<unknown>) =>
  (
    await sql<{ schema: string }>`select nspname as schema from pg_namespace where nspname in ('catalog', 'inventory', 'ordering', 'payments', 'order_history') order by 1`.execute(db)
  ).rows.map((row) => row.schema);

describe("dependencies: 'stubbed'", () => {
  const ordering = useModule('ordering', { dependencies: 'stubbed' });

  it('fails a call the test did not script, naming the method and its input', async () => {
    const productId = randomUUID();
    const placing = ordering.deps.placeOrder({ customerId: 'c-1', lines: [{ productId, quantity: 1 }] });
    await expect(placing).rejects.toBeInstanceOf(UnscriptedCallError);
    await expect(placing).rejects.toThrow(
      `catalog.getProducts was called with {"ids":["${productId}"]}, but the test did not script it: use stubs.catalog.getProducts.returns(…) or .answers((input) => …) before the call`,
    );
  });

  it('answers a scripted call and records what each call was given', async () => {
    const productId = randomUUID();
    ordering.stubs.catalog.getProducts.reset();
    ordering.stubs.catalog.getProducts.returns({ products: [{ id: productId, sku: 'S', name: 'Spoon', priceCents: 250, currency: 'EUR' }], missing: [] });
    const { order } = await ordering.deps.placeOrder({ customerId: 'c-1', lines: [{ productId, quantity: 4 }] });
    expect(order).toMatchObject({ status: 'pending', totalCents: 1000, currency: 'EUR' });
    expect(ordering.stubs.catalog.getProducts.calls).toEqual([{ ids: [productId] }]);
    await ordering.scenario.expectPublished(OrderPlaced, (event) => event.orderId === order.id && event.lines[0]!.productName === 'Spoon');
  });

  it('runs the stubs with the event tables only, and none of their migrations', async () => {
    expect(ordering.running).toEqual(['ordering', 'catalog', 'inventory', 'payments']);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_schema = 'catalog' and table_name not like 'seams\\_%'`.execute(ordering.db());
    expect(rows[0]!.n).toBe(0);
  });
});

describe("dependencies: 'real'", () => {
  const payments = useModule('payments', { dependencies: 'real' });
  const catalog = useModule('catalog', { dependencies: 'real' });

  it('runs the module with what it depends on, transitively, and nothing else', async () => {
    // payments -> ordering -> catalog, inventory (-> ordering); order-history depends on them, not they on it.
    expect([...payments.running].sort()).toEqual(['catalog', 'inventory', 'ordering', 'payments']);
    expect(await schemasIn(payments.db())).toEqual(['catalog', 'inventory', 'ordering', 'payments']);
  });

  it('runs a module without dependencies alone, on a database with its schema only', async () => {
    expect(catalog.running).toEqual(['catalog']);
    expect(await schemasIn(catalog.db())).toEqual(['catalog']);
    const created = await catalog.deps.createProduct({ sku: `SKU-${randomUUID().slice(0, 8)}`, name: 'Bowl', priceCents: 1500, currency: 'EUR' });
    expect(await catalog.api.getProducts({ ids: [created.id] })).toMatchObject({ products: [{ id: created.id, name: 'Bowl', priceCents: 1500 }], missing: [] });
  });
});
