import { afterAll, beforeAll } from 'vitest';
import { sql, type Kysely } from 'kysely';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import { buildTestApp } from '../support/test-app.ts';
import { orderFlows } from '../support/order-flows-suite.ts';

/** The order flows (test/support/order-flows-suite.ts) with every module in this one process. */

let app: ModuleRouter;
beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(async () => {
  await app.close();
});

orderFlows(() => ({
  app,
  async paymentsFor(orderId) {
    const db = app.diContainer.resolve<Kysely<unknown>>('payments/db');
    const { rows } = await sql<{ status: string; amount_cents: string }>`select status, amount_cents from payments where order_id = ${orderId}`.execute(db);
    return rows;
  },
}));
