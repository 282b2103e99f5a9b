import Type from 'typebox';
import { ORDER_STATUSES, PAYMENT_STATUSES } from '../domain/order-summary.ts';

export const MyOrdersQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'How many of the newest orders to return.' }) },
  { additionalProperties: false },
);

const OrderLineBody = Type.Object({
  productId: Type.String({ format: 'uuid' }),
  productName: Type.Union([Type.String(), Type.Null()], { description: "The product's current name; null until it has reached the order history." }),
  quantity: Type.Integer(),
  unitPriceCents: Type.Integer(),
});

const OrderBody = Type.Object({
  orderId: Type.String({ format: 'uuid' }),
  status: Type.Enum(ORDER_STATUSES),
  cancellationReason: Type.Optional(Type.String({ description: 'Why the order was cancelled, e.g. out_of_stock or payment_declined.' })),
  lines: Type.Array(OrderLineBody),
  totalCents: Type.Integer(),
  currency: Type.String(),
  paymentStatus: Type.Enum(PAYMENT_STATUSES),
  placedAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time', description: 'When the newest event about this order happened.' }),
});

export const MyOrdersBody = Type.Object({
  orders: Type.Array(OrderBody, { description: 'Newest first.' }),
  freshness: Type.Object(
    {
      lastEventAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
        description: 'When the newest event applied to the order history happened; null before the first. Changes after it may not show yet.',
      }),
    },
    { description: 'The order history is a read model kept up to date by events, so it can lag behind the orders themselves.' },
  ),
});
