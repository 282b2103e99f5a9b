import Type from 'typebox';

export const ItemParams = Type.Object({ productId: Type.String({ format: 'uuid' }) });

export const SetStockBody = Type.Object(
  {
    // A stock count, not a delta. Capped so it fits the integer column with room for sums.
    onHand: Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: 'Units physically in stock, reserved ones included.' }),
  },
  { additionalProperties: false },
);

export const ItemBody = Type.Object({
  productId: Type.String({ format: 'uuid' }),
  onHand: Type.Integer({ description: 'Units physically in stock, reserved ones included.' }),
  reserved: Type.Integer({ description: 'Units held for orders that are not settled yet.' }),
  available: Type.Integer({ description: 'Units a new order can still reserve: onHand - reserved.' }),
});
