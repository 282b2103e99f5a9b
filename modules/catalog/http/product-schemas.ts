import Type from 'typebox';

export const ProductBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  sku: Type.String(),
  name: Type.String(),
  priceCents: Type.Integer(),
  currency: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

const Sku = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'Unique stock-keeping unit.' });
const Name = Type.String({ minLength: 1, maxLength: 200 });
// Capped well below 2^53 so a price always round-trips through JSON and a bigint column exactly.
const PriceCents = Type.Integer({ minimum: 0, maximum: 100_000_000_000, description: 'Price in the currency\'s minor unit.' });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. EUR.' });

export const CreateProductBody = Type.Object({ sku: Sku, name: Name, priceCents: PriceCents, currency: Currency }, { additionalProperties: false });

export const UpdateProductBody = Type.Object(
  { name: Type.Optional(Name), priceCents: Type.Optional(PriceCents) },
  { additionalProperties: false, minProperties: 1 },
);

export const ProductParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const ListProductsQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const ProductPageBody = Type.Object({
  items: Type.Array(ProductBody),
  nextCursor: Type.Optional(Type.String()),
});
