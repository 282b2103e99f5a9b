import type { ModuleRouter } from '#platform/http/module-router.ts';
import { ProblemSchema } from '#platform/http/problem.ts';
import { authenticated, callerOf } from '#platform/http/auth.ts';
import type { GetOrder } from '../application/get-order.ts';
import type { PlaceOrder } from '../application/place-order.ts';
import type { Order } from '../domain/order.ts';
import { OrderBody, OrderParams, PlaceOrderBody, PlaceOrderHeaders } from './order-schemas.ts';

type Deps = { placeOrder: PlaceOrder; getOrder: GetOrder };

const tags = ['ordering'];
const security = [{ bearerAuth: [] }];

export function ordersRoutes(app: ModuleRouter, { placeOrder, getOrder }: Deps): void {
  app.post(
    '/orders',
    {
      // On request, not before the handler: a caller without a token learns nothing about the body it sent.
      onRequest: authenticated,
      schema: {
        tags,
        security,
        summary: 'Place an order',
        description: 'Prices the lines at the current catalog prices and accepts the order as pending; stock and payment are settled afterwards. Poll the Location.',
        headers: PlaceOrderHeaders,
        body: PlaceOrderBody,
        response: { 202: OrderBody, 400: ProblemSchema, 401: ProblemSchema, 415: ProblemSchema, 422: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { order, replayed } = await placeOrder({
        customerId: callerOf(request).id,
        lines: request.body.lines,
        paymentMethod: request.body.paymentMethod,
        idempotencyKey: request.headers['idempotency-key'],
      });
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(202).header('location', `/orders/${order.id}`).send(toBody(order));
    },
  );

  app.get(
    '/orders/:id',
    {
      onRequest: authenticated,
      schema: { tags, security, summary: 'Read an order (its customer or an admin)', params: OrderParams, response: { 200: OrderBody, 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema } },
    },
    async (request) => {
      const caller = callerOf(request);
      return toBody(await getOrder(request.params.id, { customerId: caller.id, isAdmin: caller.isAdmin }));
    },
  );
}

function toBody(order: Order) {
  return {
    id: order.id,
    customerId: order.customerId,
    status: order.status,
    lines: [...order.lines],
    totalCents: order.totalCents,
    currency: order.currency,
    ...(order.cancellationReason ? { cancellationReason: order.cancellationReason } : {}),
    placedAt: order.placedAt.toISOString(),
  };
}
