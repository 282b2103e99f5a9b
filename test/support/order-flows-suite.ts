import { beforeAll, describe, expect, it } from 'vitest';
import type { ShopClient } from './shop-client.ts';
import { shop } from './shop.ts';
import { tokens } from './test-app.ts';

/** What the flows need besides HTTP: the payments rows of an order, read-only, to prove "nothing charged". */
export interface OrderFlowsContext {
  readonly app: ShopClient;
  paymentsFor(orderId: string): Promise<Array<{ status: string; amount_cents: string }>>;
}

/**
 * Every path an order can take through the shop, through HTTP only, each ending in its stated end with exact stock
 * figures: confirmed (stock sold), cancelled out of stock (nothing held, nothing charged), cancelled because the
 * payment was declined (reservation released). Orders of several lines are reserved all or none.
 *
 * Shared by the one-process run (test/shop/order-flows.test.ts) and the split topology
 * (test/topology/split-shop.test.ts): the same scenarios must end the same way in both. Call it after the beforeAll
 * that builds the shop; `context` is read once that has run.
 */
export function orderFlows(context: () => OrderFlowsContext): void {
  let app: ShopClient;
  let s: ReturnType<typeof shop>;
  let paymentsFor: OrderFlowsContext['paymentsFor'];
  // Registered after the caller's own beforeAll, so it runs after the shop has been built.
  beforeAll(() => {
    const given = context();
    app = given.app;
    s = shop(app);
    paymentsFor = (orderId) => given.paymentsFor(orderId);
  });

  describe('one line', () => {
    it('happy path: the order is confirmed, on hand drops by the quantity and nothing stays reserved', async () => {
      const { customer, customerId } = tokens(app);
      const product = await s.productInStock(10, { priceCents: 1250 });

      const placed = await s.placeOrder(customer, { lines: [{ productId: product.id, quantity: 3 }] });
      expect(placed).toMatchObject({ status: 'pending', customerId, totalCents: 3750, currency: 'EUR', lines: [{ productId: product.id, quantity: 3, unitPriceCents: 1250 }] });

      const order = await s.settled(placed.id);
      expect(order.status).toBe('confirmed');
      expect(order.cancellationReason).toBeUndefined();
      await s.expectStockEventually(product.id, { onHand: 7, reserved: 0, available: 7 });
      expect(await paymentsFor(placed.id)).toEqual([{ status: 'captured', amount_cents: '3750' }]);
    });

    it('out of stock: the order is cancelled out_of_stock, stock is unchanged and nothing is charged', async () => {
      const { customer } = tokens(app);
      const product = await s.productInStock(2);

      const placed = await s.placeOrder(customer, { lines: [{ productId: product.id, quantity: 3 }] });

      const order = await s.settled(placed.id);
      expect(order).toMatchObject({ status: 'cancelled', cancellationReason: 'out_of_stock' });
      await s.expectStockEventually(product.id, { onHand: 2, reserved: 0, available: 2 });
      expect(await paymentsFor(placed.id)).toEqual([]);
    });

    it('out of stock: a product the inventory has never stocked is cancelled out_of_stock', async () => {
      const { customer } = tokens(app);
      const product = await s.createProduct();

      const placed = await s.placeOrder(customer, { lines: [{ productId: product.id, quantity: 1 }] });

      expect(await s.settled(placed.id)).toMatchObject({ status: 'cancelled', cancellationReason: 'out_of_stock' });
      expect(await paymentsFor(placed.id)).toEqual([]);
      const stock = await app.inject({ method: 'GET', url: `/inventory/items/${product.id}` });
      expect(stock.statusCode).toBe(404);
    });

    it('payment declined (tok_decline): cancelled payment_declined, the reservation is released', async () => {
      const { customer } = tokens(app);
      const product = await s.productInStock(5, { priceCents: 400 });

      const placed = await s.placeOrder(customer, { lines: [{ productId: product.id, quantity: 2 }], paymentMethod: 'tok_decline' });

      const order = await s.settled(placed.id);
      expect(order).toMatchObject({ status: 'cancelled', cancellationReason: 'payment_declined' });
      await s.expectStockEventually(product.id, { onHand: 5, reserved: 0, available: 5 });
      expect(await paymentsFor(placed.id)).toEqual([{ status: 'declined', amount_cents: '800' }]);
    });

    it('an order for exactly what is on hand is confirmed and leaves zero', async () => {
      const { customer } = tokens(app);
      const product = await s.productInStock(4);
      const placed = await s.placeOrder(customer, { lines: [{ productId: product.id, quantity: 4 }] });
      expect((await s.settled(placed.id)).status).toBe('confirmed');
      await s.expectStockEventually(product.id, { onHand: 0, reserved: 0, available: 0 });
    });
  });

  describe('several lines', () => {
    it('confirms all lines together: each product drops by its own quantity', async () => {
      const { customer } = tokens(app);
      const mug = await s.productInStock(5, { priceCents: 1000 });
      const tea = await s.productInStock(3, { priceCents: 250 });

      const placed = await s.placeOrder(customer, {
        lines: [
          { productId: mug.id, quantity: 2 },
          { productId: tea.id, quantity: 3 },
        ],
      });
      expect(placed.totalCents).toBe(2750);

      expect((await s.settled(placed.id)).status).toBe('confirmed');
      await s.expectStockEventually(mug.id, { onHand: 3, reserved: 0, available: 3 });
      await s.expectStockEventually(tea.id, { onHand: 0, reserved: 0, available: 0 });
    });

    it('all or none: one line short means nothing is reserved on the other lines either', async () => {
      const { customer } = tokens(app);
      const plenty = await s.productInStock(50);
      const alsoPlenty = await s.productInStock(50);
      const short = await s.productInStock(1);

      const placed = await s.placeOrder(customer, {
        lines: [
          { productId: plenty.id, quantity: 5 },
          { productId: short.id, quantity: 2 },
          { productId: alsoPlenty.id, quantity: 7 },
        ],
      });

      // While the order is being decided, the healthy lines must never show a hold; sample until it ends.
      const samples: number[] = [];
      let order = await s.getOrder(placed.id);
      while (order.status === 'pending') {
        const [a, b] = await Promise.all([s.stockOf(plenty.id), s.stockOf(alsoPlenty.id)]);
        samples.push(a.reserved, b.reserved);
        order = await s.getOrder(placed.id);
      }
      expect(order).toMatchObject({ status: 'cancelled', cancellationReason: 'out_of_stock' });
      expect(samples.every((reserved) => reserved === 0)).toBe(true);
      await s.expectStockEventually(plenty.id, { onHand: 50, reserved: 0, available: 50 });
      await s.expectStockEventually(alsoPlenty.id, { onHand: 50, reserved: 0, available: 50 });
      await s.expectStockEventually(short.id, { onHand: 1, reserved: 0, available: 1 });
      expect(await paymentsFor(placed.id)).toEqual([]);
    });

    it('a declined payment releases every line of the order', async () => {
      const { customer } = tokens(app);
      const mug = await s.productInStock(5);
      const tea = await s.productInStock(5);

      const placed = await s.placeOrder(customer, {
        lines: [
          { productId: mug.id, quantity: 5 },
          { productId: tea.id, quantity: 1 },
        ],
        paymentMethod: 'tok_decline',
      });

      expect(await s.settled(placed.id)).toMatchObject({ status: 'cancelled', cancellationReason: 'payment_declined' });
      await s.expectStockEventually(mug.id, { onHand: 5, reserved: 0, available: 5 });
      await s.expectStockEventually(tea.id, { onHand: 5, reserved: 0, available: 5 });
    });

    it('released stock can be bought again: a declined order then a paid one for the same units', async () => {
      const { customer } = tokens(app);
      const product = await s.productInStock(2);

      const declined = await s.placeOrder(customer, { lines: [{ productId: product.id, quantity: 2 }], paymentMethod: 'tok_decline' });
      expect((await s.settled(declined.id)).cancellationReason).toBe('payment_declined');
      await s.expectStockEventually(product.id, { onHand: 2, reserved: 0, available: 2 });

      const paid = await s.placeOrder(customer, { lines: [{ productId: product.id, quantity: 2 }], paymentMethod: 'tok_visa' });
      expect((await s.settled(paid.id)).status).toBe('confirmed');
      await s.expectStockEventually(product.id, { onHand: 0, reserved: 0, available: 0 });
    });
  });

  describe('who sees an order', () => {
    it('its customer and admins read it; another customer gets 404, as for an order that does not exist', async () => {
      const owner = tokens(app);
      const stranger = tokens(app);
      const product = await s.productInStock(1);
      const placed = await s.placeOrder(owner.customer, { lines: [{ productId: product.id, quantity: 1 }] });

      expect((await s.getOrder(placed.id, owner.customer)).id).toBe(placed.id);
      expect((await s.getOrder(placed.id, owner.admin)).id).toBe(placed.id);
      const hidden = await app.inject({ method: 'GET', url: `/orders/${placed.id}`, headers: stranger.customer });
      expect(hidden.statusCode).toBe(404);
      expect(hidden.headers['content-type']).toContain('application/problem+json');
      expect(hidden.json().code).toBe('ORDER_NOT_FOUND');
      await s.settled(placed.id);
    });
  });
}
