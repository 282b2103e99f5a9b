import Type from 'typebox';
import { defineContract, type ContractApi } from '#platform/modules/contract.ts';

/** A product as other modules see it: the current name and price. */
export const ProductQuote = Type.Object({
  id: Type.String({ format: 'uuid' }),
  sku: Type.String(),
  name: Type.String(),
  priceCents: Type.Integer({ minimum: 0 }),
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
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
});

export type CatalogApi = ContractApi<typeof catalogContract>;
