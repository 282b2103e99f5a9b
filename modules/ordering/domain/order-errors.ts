import { NotFoundError, UnprocessableError } from '#platform/errors.ts';

// Lines are named the way schema validation names fields (`body.lines.<index>.<field>`), so a client handles a
// rejected line the same way whichever check caught it.
const lineField = (index: number, field: string) => `body.lines.${index}.${field}`;

/** Unknown, and also what another customer's order looks like: whether it exists is not theirs to learn. */
export class OrderNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('ORDER_NOT_FOUND', `Order ${id} does not exist`, { orderId: id });
  }
}

export class UnknownProductsError extends UnprocessableError {
  constructor(lines: ReadonlyArray<{ index: number; productId: string }>) {
    super('UNKNOWN_PRODUCTS', `${lines.length === 1 ? 'A line names a product' : 'Lines name products'} the catalog does not have`, {
      lines: lines.map((line) => line.index),
      errors: lines.map((line) => ({ field: lineField(line.index, 'productId'), message: `product ${line.productId} does not exist` })),
    });
  }
}

export class DuplicateProductError extends UnprocessableError {
  constructor(repeats: ReadonlyArray<{ index: number; firstIndex: number }>) {
    super('DUPLICATE_PRODUCT', 'Each product may appear on one line only; put the whole quantity on that line', {
      lines: repeats.map((repeat) => repeat.index),
      errors: repeats.map((repeat) => ({ field: lineField(repeat.index, 'productId'), message: `repeats the product of line ${repeat.firstIndex}` })),
    });
  }
}

export class MixedCurrenciesError extends UnprocessableError {
  constructor(currency: string, foreign: ReadonlyArray<{ index: number; currency: string }>) {
    super('MIXED_CURRENCIES', `All products of an order must be priced in one currency; line 0 is in ${currency}`, {
      lines: foreign.map((line) => line.index),
      errors: foreign.map((line) => ({ field: lineField(line.index, 'productId'), message: `is priced in ${line.currency}, not ${currency}` })),
    });
  }
}

export class OrderTotalTooLargeError extends UnprocessableError {
  constructor() {
    super('ORDER_TOTAL_TOO_LARGE', 'The order total is too large; split it into several orders');
  }
}

export class IdempotencyKeyReusedError extends UnprocessableError {
  constructor() {
    super('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used for a different order request; use a new key for a new order');
  }
}
