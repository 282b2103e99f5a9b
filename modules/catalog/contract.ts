import Type from 'typebox';
import { defineContract, type ContractApi } from '#platform/modules/contract.ts';
import { defineEvent } from '#platform/events/event-definition.ts';

/** A product as other modules see it: the current name and price. */
export const ProductQuote = Type.Object({
  id: Type.String({ format: 'uuid' }),
  sku: Type.String(),
  name: Type.String(),
  priceCents: Type.Integer({ minimum: 0 }),
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
});

/** A product was added to the catalog. */
export const ProductCreated = defineEvent({
  name: 'catalog.ProductCreated',
  version: 1,
  description: 'A product was added to the catalog.',
  schema: Type.Object({
    productId: Type.String({ format: 'uuid' }),
    sku: Type.String(),
    name: Type.String(),
    priceCents: Type.Integer({ minimum: 0 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  }),
  key: (payload) => payload.productId,
});

/** A product's name or price changed; carries the values after the change. */
export const ProductChanged = defineEvent({
  name: 'catalog.ProductChanged',
  version: 1,
  description: "A product's name or price changed; carries both after the change.",
  schema: Type.Object({
    productId: Type.String({ format: 'uuid' }),
    name: Type.String(),
    priceCents: Type.Integer({ minimum: 0 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  }),
  key: (payload) => payload.productId,
});

/**
 * The catalog's public API. Ordering calls it synchronously when an order is placed, because a quote must use the
 * price of that moment, not a copy that may be stale.
 */
export const catalogContract = defineContract({
  module: 'catalog',
  methods: {
    getProducts: {
      description: 'Current name and price of each product asked for. Unknown ids are listed in `missing`, not thrown.',
      idempotent: true,
      input: Type.Object({ ids: Type.Array(Type.String({ format: 'uuid' }), { maxItems: 100 }) }, { additionalProperties: false }),
      output: Type.Object({ products: Type.Array(ProductQuote), missing: Type.Array(Type.String()) }),
    },
  },
  events: { ProductCreated, ProductChanged },
});

export type CatalogApi = ContractApi<typeof catalogContract>;
