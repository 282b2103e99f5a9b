
import { sql } from 'kysely';
import { useApp } from '#testing';
import { orderFlows } from '../support/order-flows-suite.ts';

/** The order flows (test/support/order-flows-suite.ts) with every module in this one process. */

const app = useApp();

orderFlows(() => ({
  app,
  async paymentsFor(orderId) {
    const db = app.module('payments').db<unknown>();
    const { rows } = await sql<{ status: string; amount_cents: string }>`select status, amount_cents from payments where order_id = ${orderId}`.execute(db);
    return rows;
  },
}));
