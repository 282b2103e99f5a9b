import { expect, it } from 'vitest';
import { matches, useShop, type HistoryEntry } from '../support/shop.ts';
import { tokens } from '../support/test-app.ts';

/**
 * The whole shop, through its APIs only: catalog, inventory, ordering and payments publish, order-history copies,
 * and the customer's page converges on the outcome of each order. (Moved here from modules/order-history/http/.)
 */
const { harness, fixtures } = useShop();

/**
 * Waits, woken by the bus, until the customer's page shows the order as expected. Events of different producers (and
 * of different subscriptions) are applied in no fixed order, so intermediate states, such as confirmed before the
 * captured payment has arrived, are passed through on the way.
 */
async function expectEventually(customer: { authorization: string }, orderId: string, expected: Partial<HistoryEntry>): Promise<void> {
  const entry = await harness.scenario
    .stimulate(() => undefined)
    .andWaitForStateChange(
      async () => (await fixtures().myOrders(customer)).orders.find((order) => order.orderId === orderId),
      (found) => matches(found, expected),
    )
    .within('15s');
  expect(entry, `order ${orderId} on /me/orders`).toMatchObject(expected);
}

it('a placed order shows up on /me/orders confirmed, paid, with the product name', async () => {
  const { customer } = tokens(harness.app);
  const { id: productId } = await fixtures().productInStock(10, { name: 'Espresso cup', priceCents: 850 });

  const { id: orderId } = await fixtures().placeOrder(customer, { lines: [{ productId, quantity: 2 }] });

  await expectEventually(customer, orderId, {
    status: 'confirmed',
    paymentStatus: 'captured',
    totalCents: 1700,
    lines: [{ productId, productName: 'Espresso cup', quantity: 2, unitPriceCents: 850 }],
  });
});

it('an order whose payment is declined shows up cancelled, with the reason and the declined payment', async () => {
  const { customer } = tokens(harness.app);
  const { id: productId } = await fixtures().productInStock(10, { name: 'Saucer', priceCents: 300 });

  // The simulated payment provider declines this token, like a real provider's test card.
  const { id: orderId } = await fixtures().placeOrder(customer, { lines: [{ productId, quantity: 1 }], paymentMethod: 'tok_decline' });

  await expectEventually(customer, orderId, { status: 'cancelled', cancellationReason: 'payment_declined', paymentStatus: 'declined' });
});

it('an order for more than is in stock shows up cancelled as out of stock, never charged', async () => {
  const { customer } = tokens(harness.app);
  const { id: productId } = await fixtures().productInStock(1, { name: 'Teapot', priceCents: 4200 });

  const { id: orderId } = await fixtures().placeOrder(customer, { lines: [{ productId, quantity: 2 }] });

  await expectEventually(customer, orderId, { status: 'cancelled', cancellationReason: 'out_of_stock', paymentStatus: 'none' });
});
