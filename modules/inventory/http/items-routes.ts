import type { ModuleRouter } from '#platform/http/module-router.ts';
import { ProblemSchema } from '#platform/http/problem.ts';
import { adminOnly } from '#platform/http/auth.ts';
import type { GetStock, SetStock } from '../application/stock-use-cases.ts';
import { ItemBody, ItemParams, SetStockBody } from './item-schemas.ts';

type Deps = { setStock: SetStock; getStock: GetStock };

const tags = ['inventory'];
const security = [{ bearerAuth: [] }];

export function itemsRoutes(app: ModuleRouter, { setStock, getStock }: Deps): void {
  app.put(
    '/inventory/items/:productId',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security,
        summary: "Set a product's stock on hand (201 when first set, 200 after)",
        params: ItemParams,
        body: SetStockBody,
        response: { 200: ItemBody, 201: ItemBody, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { item, created } = await setStock(request.params.productId, request.body.onHand);
      if (!created) return item;
      return reply.code(201).header('location', `/inventory/items/${item.productId}`).send(item);
    },
  );

  app.get(
    '/inventory/items/:productId',
    { schema: { tags, summary: "A product's stock: on hand, reserved and available", params: ItemParams, response: { 200: ItemBody, 400: ProblemSchema, 404: ProblemSchema } } },
    async (request) => getStock(request.params.productId),
  );
}
