import type { ModuleRouter } from '#platform/http/module-router.ts';
import { ProblemSchema } from '#platform/http/problem.ts';
import { authenticated, callerOf } from '#platform/http/auth.ts';
import type { ListMyOrders } from '../application/list-my-orders.ts';
import type { OrderSummary } from '../domain/order-summary.ts';
import { MyOrdersBody, MyOrdersQuery } from './my-orders-schemas.ts';

type Deps = { listMyOrders: ListMyOrders };

const tags = ['order-history'];
const security = [{ bearerAuth: [] }];

export function myOrdersRoutes(app: ModuleRouter, { listMyOrders }: Deps): void {
  app.get(
    '/me/orders',
    {
      onRequest: authenticated,
      schema: { tags, security, querystring: MyOrdersQuery, response: { 200: MyOrdersBody, 400: ProblemSchema, 401: ProblemSchema } },
    },
    async (request) => {
      const page = await listMyOrders(callerOf(request).id, request.query);
      return { orders: page.orders.map(toBody), freshness: { lastEventAt: page.lastEventAt?.toISOString() ?? null } };
    },
  );
}

function toBody({ cancellationReason, placedAt, updatedAt, ...order }: OrderSummary) {
  return {
    ...order,
    lines: [...order.lines],
    ...(cancellationReason === undefined ? {} : { cancellationReason }),
    placedAt: placedAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
  };
}
