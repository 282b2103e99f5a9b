import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { ShopClient } from './shop-client.ts';
import { tokens } from './test-app.ts';
import { waitFor } from './wait-for.ts';
import type { Scenario } from '#platform/testing/scenario.ts';
import { useApp } from '#testing';
import { PaymentRequested } from '../../modules/ordering/contract.ts';

/**
 * The reference shop driven through its HTTP API only, for the end-to-end tests in test/shop. Every helper asserts
 * the status it expects, with the response body as the message, so a failure says what the API answered.
 */

export type Headers = { authorization: string };

export interface Stock {
  productId: string;
  onHand: number;
  reserved: number;
  available: number;
}

export interface OrderView {
  id: string;
  customerId: string;
  status: 'pending' | 'confirmed' | 'cancelled';
  cancellationReason?: 'out_of_stock' | 'payment_declined' | 'expired';
  lines: Array<{ productId: string; quantity: number; unitPriceCents: number }>;
  totalCents: number;
  currency: string;
  placedAt: string;
}

export interface HistoryEntry {
  orderId: string;
  status: string;
  cancellationReason?: string;
  lines: Array<{ productId: string; productName: string | null; quantity: number; unitPriceCents: number }>;
  totalCents: number;
  currency: string;
  paymentStatus: 'none' | 'requested' | 'captured' | 'declined';
  placedAt: string;
  updatedAt: string;
}

export interface HistoryPage {
  orders: HistoryEntry[];
  freshness: { lastEventAt: string | null };
}

export function shop(app: ShopClient) {
  const { admin } = tokens(app);

  async function createProduct(options: { name?: string; priceCents?: number; currency?: string } = {}): Promise<{ id: string; name: string; priceCents: number }> {
    const payload = { sku: `SHOP-${randomUUID().slice(0, 13)}`, name: options.name ?? `Product ${randomUUID().slice(0, 6)}`, priceCents: options.priceCents ?? 1000, currency: options.currency ?? 'EUR' };
    const response = await app.inject({ method: 'POST', url: '/catalog/products', headers: admin, payload });
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  }

  async function setStock(productId: string, onHand: number): Promise<Stock> {
    const response = await app.inject({ method: 'PUT', url: `/inventory/items/${productId}`, headers: admin, payload: { onHand } });
    expect([200, 201], response.body).toContain(response.statusCode);
    return response.json();
  }

  async function stockOf(productId: string): Promise<Stock> {
    const response = await app.inject({ method: 'GET', url: `/inventory/items/${productId}` });
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  }

  /** A catalog product with this much stock on hand. */
  async function productInStock(onHand: number, options: { name?: string; priceCents?: number } = {}) {
    const product = await createProduct(options);
    await setStock(product.id, onHand);
    return product;
  }

  async function placeOrder(customer: Headers, payload: Record<string, unknown>, extraHeaders: Record<string, string> = {}): Promise<OrderView> {
    const response = await app.inject({ method: 'POST', url: '/orders', headers: { ...customer, ...extraHeaders }, payload });
    expect(response.statusCode, response.body).toBe(202);
    const order = response.json<OrderView>();
    expect(response.headers.location).toBe(`/orders/${order.id}`);
    return order;
  }

  async function getOrder(id: string, viewer: Headers = admin): Promise<OrderView> {
    const response = await app.inject({ method: 'GET', url: `/orders/${id}`, headers: viewer });
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  }

  /** Polls GET /orders/:id until the order has left pending. */
  async function settled(id: string, options: { timeoutMs?: number } = {}): Promise<OrderView> {
    let order: OrderView | undefined;
    await waitFor(
      async () => {
        order = await getOrder(id);
        return order.status !== 'pending';
      },
      { timeoutMs: options.timeoutMs ?? 20_000, intervalMs: 25, message: `order ${id} still pending` },
    );
    return order!;
  }

  async function myOrders(customer: Headers, limit = 100): Promise<HistoryPage> {
    const response = await app.inject({ method: 'GET', url: '/me/orders', headers: customer, query: { limit: String(limit) } });
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  }

  /**
   * Waits until the stock settles at `expected` (reservations are released or sold by events after the order's end,
   * so the figures lag the order's status by a moment) and asserts it exactly.
   */
  async function expectStockEventually(productId: string, expected: Omit<Stock, 'productId'>, timeoutMs = 15_000): Promise<void> {
    let last: Stock | undefined;
    await waitFor(
      async () => {
        last = await stockOf(productId);
        return last.onHand === expected.onHand && last.reserved === expected.reserved && last.available === expected.available;
      },
      { timeoutMs, intervalMs: 25 },
    ).catch(() => undefined);
    expect(last, `stock of ${productId}`).toEqual({ productId, ...expected });
  }

  return { admin, createProduct, setStock, stockOf, productInStock, placeOrder, getOrder, settled, myOrders, expectStockEventually };
}

/** Whether `actual` matches `expected` as toMatchObject would, without throwing. */
export function matches(actual: unknown, expected: object): boolean {
  try {
    expect(actual).toMatchObject(expected);
    return true;
  } catch {
    return false;
  }
}

/**
 * The whole shop for this file's tests, on the harness (`useApp`), with the HTTP fixtures above bound to it once it
 * is built: `const { harness, fixtures } = useShop()`, then `fixtures().productInStock(5)` inside a test.
 */
export function useShop(options: Parameters<typeof useApp>[0] = {}) {
  const harness = useApp(options);
  let bound: { app: unknown; fixtures: ReturnType<typeof shop> } | undefined;
  const fixtures = () => {
    if (bound?.app !== harness.app) bound = { app: harness.app, fixtures: shop(harness.app) };
    return bound.fixtures;
  };
  return { harness, fixtures };
}

/** What {@link awaitingPayment} needs of a harness app: its HTTP surface and its scenarios. */
interface ShopHarness {
  readonly app: ShopClient;
  readonly scenario: Scenario;
}

/**
 * A product with `onHand` in stock and a customer's order of `quantity` of it, placed over HTTP and followed until
 * ordering asked for payment (its stock is reserved then): where an order waits when payments does not answer.
 */
export async function awaitingPayment(harness: ShopHarness, { onHand, quantity }: { onHand: number; quantity: number }) {
  const { productInStock, placeOrder } = shop(harness.app);
  const { customer, customerId } = tokens(harness.app);
  const product = await productInStock(onHand);
  const { orderId } = await harness.scenario
    .stimulate(() => placeOrder(customer, { lines: [{ productId: product.id, quantity }], paymentMethod: 'tok_visa' }))
    .andWaitForEvent(PaymentRequested, (event) => event.customerId === customerId)
    .toArriveWithin('10s');
  return { orderId, productId: product.id, customer };
}
