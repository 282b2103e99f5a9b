import { describe, expect, it } from 'vitest';
import { AppError } from '#platform/errors.ts';
import { assertOneLinePerProduct, decide, isVisibleTo, priceLines, type OrderFact, type OrderProgress } from './order.ts';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C = '00000000-0000-4000-8000-00000000000c';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  return undefined;
}

describe('decide', () => {
  const pending: OrderProgress = { status: 'pending', stockReserved: false, cancellationReason: undefined };
  const reserved: OrderProgress = { ...pending, stockReserved: true };
  const confirmed: OrderProgress = { status: 'confirmed', stockReserved: true, cancellationReason: undefined };
  const cancelled: OrderProgress = { status: 'cancelled', stockReserved: false, cancellationReason: 'out_of_stock' };

  it.each<[string, OrderProgress, OrderFact, string, Partial<OrderProgress>?]>([
    ['a pending order', pending, 'StockReserved', 'request_payment', { status: 'pending', stockReserved: true }],
    ['a pending order', pending, 'StockRejected', 'cancel', { status: 'cancelled', cancellationReason: 'out_of_stock' }],
    ['a pending order', pending, 'PaymentCaptured', 'ignore'],
    ['a pending order', pending, 'PaymentDeclined', 'ignore'],
    ['a reserved order', reserved, 'StockReserved', 'ignore'],
    ['a reserved order', reserved, 'StockRejected', 'ignore'],
    ['a reserved order', reserved, 'PaymentCaptured', 'confirm', { status: 'confirmed' }],
    ['a reserved order', reserved, 'PaymentDeclined', 'cancel', { status: 'cancelled', cancellationReason: 'payment_declined' }],
    ...(['StockReserved', 'StockRejected', 'PaymentCaptured', 'PaymentDeclined'] as const).flatMap((fact): Array<[string, OrderProgress, OrderFact, string]> => [
      ['a confirmed order', confirmed, fact, 'ignore'],
      ['a cancelled order', cancelled, fact, 'ignore'],
    ]),
  ])('%s, on %s, decides %s', (_name, order, fact, outcome, next) => {
    const decision = decide(order, fact);
    expect(decision.outcome).toBe(outcome);
    if (next) expect(decision).toMatchObject({ next });
  });
});

describe('priceLines', () => {
  it('prices each line at its quote and totals them', () => {
    const priced = priceLines([{ productId: A, quantity: 2 }, { productId: B, quantity: 3 }], [
      { id: B, priceCents: 100, currency: 'EUR' },
      { id: A, priceCents: 250, currency: 'EUR' },
    ]);
    expect(priced).toEqual({
      lines: [{ productId: A, quantity: 2, unitPriceCents: 250 }, { productId: B, quantity: 3, unitPriceCents: 100 }],
      totalCents: 800,
      currency: 'EUR',
    });
  });

  it('refuses products without a quote, naming their lines', () => {
    expect(() => priceLines([{ productId: A, quantity: 1 }, { productId: C, quantity: 1 }], [{ id: A, priceCents: 1, currency: 'EUR' }])).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_PRODUCTS', details: expect.objectContaining({ lines: [1] }) }),
    );
  });

  it('refuses an order in more than one currency', () => {
    expect(codeOf(() => priceLines([{ productId: A, quantity: 1 }, { productId: B, quantity: 1 }], [
      { id: A, priceCents: 1, currency: 'EUR' },
      { id: B, priceCents: 1, currency: 'USD' },
    ]))).toBe('MIXED_CURRENCIES');
  });

  it('refuses a total beyond the exact range of a JSON number, and accepts one just inside it', () => {
    expect(codeOf(() => priceLines([{ productId: A, quantity: 1 }], [{ id: A, priceCents: Number.MAX_SAFE_INTEGER, currency: 'EUR' }]))).toBeUndefined();
    expect(codeOf(() => priceLines([{ productId: A, quantity: 2 }], [{ id: A, priceCents: Number.MAX_SAFE_INTEGER, currency: 'EUR' }]))).toBe('ORDER_TOTAL_TOO_LARGE');
  });
});

describe('assertOneLinePerProduct', () => {
  it('names every line that repeats an earlier product', () => {
    expect(() => assertOneLinePerProduct([{ productId: A, quantity: 1 }, { productId: B, quantity: 1 }, { productId: A, quantity: 1 }])).toThrow(
      expect.objectContaining({ code: 'DUPLICATE_PRODUCT', details: expect.objectContaining({ lines: [2] }) }),
    );
    expect(codeOf(() => assertOneLinePerProduct([{ productId: A, quantity: 1 }, { productId: B, quantity: 1 }]))).toBeUndefined();
  });
});

describe('isVisibleTo', () => {
  it('shows an order to its customer and to admins only', () => {
    expect(isVisibleTo({ customerId: 'c1' }, { customerId: 'c1', isAdmin: false })).toBe(true);
    expect(isVisibleTo({ customerId: 'c1' }, { customerId: 'c2', isAdmin: false })).toBe(false);
    expect(isVisibleTo({ customerId: 'c1' }, { customerId: 'admin', isAdmin: true })).toBe(true);
  });
});
