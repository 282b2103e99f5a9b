import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import { buildTestApp, tokens } from '../../../test/support/test-app.ts';
import { waitFor } from '../../../test/support/wait-for.ts';

/**
 * The whole shop, through its APIs only: catalog, inventory, ordering and payments publish, order-history copies,
 * and the customer's page converges on the outcome of each order.
 */

let app: ModuleRouter;
let admin: { authorization: string };
beforeAll(async () => {
  app = await buildTestApp();
  admin = tokens(app).admin;
});
afterAll(async () => {
  await app.close();
});

interface Entry {
  orderId: string;
  status: string;
  cancellationReason?: string;
  paymentStatus: string;
  lines: Array<{ productId: string; productName: string | null; quantity: number; unitPriceCents: number }>;
  totalCents: number;
}

async function productInStock(name: string, priceCents: number, onHand: number): Promise<string> {
  const created = await app.inject({
    method: 'POST',
    url: '/catalog/products',
    headers: admin,
    payload: { sku: `E2E-${randomUUID().slice(0, 8)}`, name, priceCents, currency: 'EUR' },
  });
  expect(created.statusCode, created.body).toBe(201);
  const productId = created.json<{ id: string }>().id;
  const stocked = await app.inject({ method: 'PUT', url: `/inventory/items/${productId}`, headers: admin, payload: { onHand } });
  expect(stocked.statusCode, stocked.body).toBeLessThan(300);
  return productId;
}

async function placeOrder(customer: { authorization: string }, payload: Record<string, unknown>): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/orders', headers: customer, payload });
  expect(response.statusCode, response.body).toBe(202);
  return response.json<{ id: string }>().id;
}

/**
 * Waits until the customer's page shows the order as expected. Events of different producers (and of different
 * subscriptions) are applied in no fixed order, so intermediate states, such as confirmed before the captured
 * payment has arrived, are passed through on the way.
 */
async function expectEventually(customer: { authorization: string }, orderId: string, expected: Partial<Entry>): Promise<void> {
  let entry: Entry | undefined;
  const matches = () => {
    try {
      expect(entry).toMatchObject(expected);
      return true;
    } catch {
      return false;
    }
  };
  await waitFor(async () => {
    const response = await app.inject({ method: 'GET', url: '/me/orders', headers: customer });
    entry = response.json<{ orders: Entry[] }>().orders.find((order) => order.orderId === orderId);
    return matches();
  }).catch(() => undefined);
  expect(entry, `order ${orderId} on /me/orders`).toMatchObject(expected);
}

it('a placed order shows up on /me/orders confirmed, paid, with the product name', async () => {
  const { customer } = tokens(app);
  const productId = await productInStock('Espresso cup', 850, 10);

  const orderId = await placeOrder(customer, { lines: [{ productId, quantity: 2 }] });

  await expectEventually(customer, orderId, {
    status: 'confirmed',
    paymentStatus: 'captured',
    totalCents: 1700,
    lines: [{ productId, productName: 'Espresso cup', quantity: 2, unitPriceCents: 850 }],
  });
});

it('an order whose payment is declined shows up cancelled, with the reason and the declined payment', async () => {
  const { customer } = tokens(app);
  const productId = await productInStock('Saucer', 300, 10);

  // The simulated payment provider declines this token, like a real provider's test card.
  const orderId = await placeOrder(customer, { lines: [{ productId, quantity: 1 }], paymentMethod: 'tok_decline' });

  await expectEventually(customer, orderId, { status: 'cancelled', cancellationReason: 'payment_declined', paymentStatus: 'declined' });
});

it('an order for more than is in stock shows up cancelled as out of stock, never charged', async () => {
  const { customer } = tokens(app);
  const productId = await productInStock('Teapot', 4200, 1);

  const orderId = await placeOrder(customer, { lines: [{ productId, quantity: 2 }] });

  await expectEventually(customer, orderId, { status: 'cancelled', cancellationReason: 'out_of_stock', paymentStatus: 'none' });
});
