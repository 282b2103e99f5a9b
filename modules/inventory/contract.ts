import Type from 'typebox';
import { defineContract } from '#platform/modules/contract.ts';
import { defineEvent } from '#platform/events/event-definition.ts';

/** Every line of an order is reserved: stock is held for it until the order is confirmed or cancelled. */
export const StockReserved = defineEvent({
  name: 'inventory.StockReserved',
  version: 1,
  description: 'All lines of an order are reserved; the stock is held until the order ends.',
  // Only the order: ordering, its one subscriber, knows the lines it placed.
  schema: Type.Object({ orderId: Type.String({ format: 'uuid' }) }),
  key: (payload) => payload.orderId,
});

/** Not every line could be reserved, so none was. Names the products that were short. */
export const StockRejected = defineEvent({
  name: 'inventory.StockRejected',
  version: 1,
  description: 'An order could not be reserved in full, so nothing was reserved; names the products that were short.',
  schema: Type.Object({
    orderId: Type.String({ format: 'uuid' }),
    shortProducts: Type.Array(
      Type.Object({ productId: Type.String({ format: 'uuid' }), requested: Type.Integer(), available: Type.Integer() }),
      { minItems: 1 },
    ),
  }),
  key: (payload) => payload.orderId,
});

/** Inventory offers no synchronous API: others learn about stock through its events. */
export const inventoryContract = defineContract({
  module: 'inventory',
  methods: {},
  events: { StockReserved, StockRejected },
});
