import { beforeAll, expect, it } from 'vitest';
import type { ShopClient } from './shop-client.ts';
import { shop, type OrderView, type Stock } from './shop.ts';
import { tokens } from './test-app.ts';

/**
 * 100 customers' orders race for 10 units of one product. Exactly 10 win; the other 90 end out of stock; the stock
 * ends at zero with nothing held; and no reading of the stock, taken at any moment of the race, is ever negative.
 *
 * Shared by the one-process run (test/shop/contention.test.ts) and the split topology. Call it after the beforeAll
 * that builds the shop; `context` is read once that has run.
 */
const ORDERS = 100;
const CUSTOMERS = 10;
const ON_HAND = 10;
const TIME_LIMIT_MS = 60_000;

export function contention(context: () => { app: ShopClient }): void {
  let app: ShopClient;
  let s: ReturnType<typeof shop>;
  beforeAll(() => {
    app = context().app;
    s = shop(app);
  });

  it(
    `${ORDERS} concurrent orders for ${ON_HAND} units: exactly ${ON_HAND} confirmed, the rest out of stock, stock never negative`,
    async () => {
      const deadline = Date.now() + TIME_LIMIT_MS - 5_000;
      const product = await s.productInStock(ON_HAND, { priceCents: 999 });
      const customers = Array.from({ length: CUSTOMERS }, () => tokens(app).customer);

      // The sampler reads the stock through the API for as long as the race runs.
      const samples: Stock[] = [];
      let racing = true;
      const sampler = (async () => {
        while (racing) {
          samples.push(await s.stockOf(product.id));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();

      let settled: OrderView[];
      try {
        const placed = await Promise.all(
          Array.from({ length: ORDERS }, (_, i) => s.placeOrder(customers[i % CUSTOMERS]!, { lines: [{ productId: product.id, quantity: 1 }] })),
        );
        expect(new Set(placed.map((order) => order.id)).size).toBe(ORDERS);

        // Poll only the orders still pending, until all have ended or time is up.
        const byId = new Map(placed.map((order) => [order.id, order]));
        while ([...byId.values()].some((order) => order.status === 'pending') && Date.now() < deadline) {
          const pending = [...byId.values()].filter((order) => order.status === 'pending');
          for (const order of await Promise.all(pending.map((order) => s.getOrder(order.id)))) byId.set(order.id, order);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        settled = [...byId.values()];
        // Sell/release of the reservations follows the order's end by one more event; let the stock settle too.
        await s.expectStockEventually(product.id, { onHand: 0, reserved: 0, available: 0 }, Math.max(1_000, deadline - Date.now()));
      } finally {
        racing = false;
        await sampler;
      }

      const confirmed = settled.filter((order) => order.status === 'confirmed');
      const outOfStock = settled.filter((order) => order.status === 'cancelled' && order.cancellationReason === 'out_of_stock');
      const pending = settled.filter((order) => order.status === 'pending');
      expect({ confirmed: confirmed.length, outOfStock: outOfStock.length, pending: pending.length }).toEqual({ confirmed: ON_HAND, outOfStock: ORDERS - ON_HAND, pending: 0 });
      expect(settled.filter((order) => order.cancellationReason === 'payment_declined')).toEqual([]);

      expect(samples.length).toBeGreaterThan(10);
      const bad = samples.filter((sample) => sample.onHand < 0 || sample.reserved < 0 || sample.available < 0 || sample.reserved > sample.onHand || sample.onHand > ON_HAND);
      expect(bad, `${bad.length} of ${samples.length} samples out of bounds`).toEqual([]);
      for (const sample of samples) expect(sample.available).toBe(sample.onHand - sample.reserved);
      // The stock only ever goes down during the race: no sale is undone.
      for (let i = 1; i < samples.length; i++) expect(samples[i]!.onHand).toBeLessThanOrEqual(samples[i - 1]!.onHand);
    },
    TIME_LIMIT_MS,
  );
}
