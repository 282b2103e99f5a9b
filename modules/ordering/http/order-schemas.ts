import Type from 'typebox';
import { CancellationReason } from '../contract.ts';

const ProductId = Type.String({ format: 'uuid', description: 'A product of the catalog.' });

export const PlaceOrderBody = Type.Object(
  {
    lines: Type.Array(
      Type.Object({ productId: ProductId, quantity: Type.Integer({ minimum: 1, maximum: 10_000 }) }, { additionalProperties: false }),
      { minItems: 1, maxItems: 100, description: 'One line per product; a product on two lines is refused (422 DUPLICATE_PRODUCT).' },
    ),
    paymentMethod: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "The customer's payment token, handed to the payment provider as is." })),
  },
  { additionalProperties: false },
);

export const PlaceOrderHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'Retrying with the same key returns the first order instead of placing another.' }),
  ),
});

export const OrderParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const OrderBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  customerId: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('confirmed'), Type.Literal('cancelled')]),
  lines: Type.Array(Type.Object({ productId: Type.String({ format: 'uuid' }), quantity: Type.Integer(), unitPriceCents: Type.Integer() })),
  totalCents: Type.Integer(),
  currency: Type.String(),
  cancellationReason: Type.Optional(CancellationReason),
  placedAt: Type.String({ format: 'date-time' }),
});
