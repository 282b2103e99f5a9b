import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { useModule } from '#testing';
import type { ModuleDb } from '#platform/db/module-database.ts';
import type { DeliveredEvent } from '#platform/events/subscription.ts';
import type { EventPayload } from '#platform/events/event-definition.ts';
import { PaymentRequested } from '../../ordering/contract.ts';
import type { PaymentsTables } from '../infrastructure/payments.table.ts';
import { makeSimulatedPaymentProvider } from '../infrastructure/simulated-payment-provider.ts';
import type { PaymentProvider } from './payment-provider.ts';
import { makeTakePayment, type PaymentRequest, type TakePayment } from './take-payment.ts';

const app = useModule('payments', { dependencies: 'stubbed' });
let db: ModuleDb<PaymentsTables>;
let takePayment: TakePayment;
beforeAll(async () => {
  db = app.module('payments').db();
  takePayment = app.module('payments').deps.takePayment;
});

const paymentRequest = (change: Partial<PaymentRequest> = {}): PaymentRequest => ({
  orderId: randomUUID(),
  customerId: 'customer-1',
  amountCents: 4200,
  currency: 'EUR',
  paymentMethod: 'tok_visa',
  ...change,
});

/** What payments published about an order, read from its outbox (its events are keyed by order id). */
async function publishedFor(orderId: string): Promise<Array<{ name: string; payload: Record<string, unknown> }>> {
  const { rows } = await sql<{ name: string; payload: Record<string, unknown> }>`select name, payload from seams_outbox where key = ${orderId} order by seq`.execute(db);
  return rows;
}

const paymentsOf = (orderId: string) => db.selectFrom('payments').selectAll().where('order_id', '=', orderId).execute();

/** takePayment wired like the app's, but with a provider that counts the charges it passes on. */
function withCountingProvider(): { takePayment: TakePayment; charges: () => number } {
  const simulated = makeSimulatedPaymentProvider();
  let charges = 0;
  const counting: PaymentProvider = {
    charge(request) {
      charges++;
      return simulated.charge(request);
    },
  };
  const take = makeTakePayment({
    paymentsRepository: app.module('payments').deps.paymentsRepository,
    events: app.module('payments').events,
    paymentProvider: counting,
  });
  return { takePayment: take, charges: () => charges };
}

describe('taking payment for an order', () => {
  it('captures, records the payment and publishes PaymentCaptured with its id', async () => {
    const request = paymentRequest();

    const payment = await db.transaction().execute((trx) => takePayment(request, trx));

    expect(payment).toMatchObject({ orderId: request.orderId, status: 'captured', amountCents: 4200, currency: 'EUR', declineReason: undefined });
    expect(payment.providerReference).toMatch(/^sim_/);
    const [row] = await paymentsOf(request.orderId);
    expect(row).toMatchObject({ id: payment.id, status: 'captured', amount_cents: '4200', customer_id: 'customer-1', decline_reason: null });
    expect(await publishedFor(request.orderId)).toEqual([
      { name: 'payments.PaymentCaptured', payload: { orderId: request.orderId, paymentId: payment.id, amountCents: 4200, currency: 'EUR' } },
    ]);
  });

  it('captures when the request carries no payment method', async () => {
    const request = paymentRequest({ paymentMethod: undefined });
    const payment = await db.transaction().execute((trx) => takePayment(request, trx));
    expect(payment.status).toBe('captured');
    expect((await publishedFor(request.orderId)).map((event) => event.name)).toEqual(['payments.PaymentCaptured']);
  });

  it('records a decline with its reason and publishes PaymentDeclined for tok_decline', async () => {
    const request = paymentRequest({ paymentMethod: 'tok_decline' });

    const payment = await db.transaction().execute((trx) => takePayment(request, trx));

    expect(payment).toMatchObject({ status: 'declined', declineReason: 'card_declined' });
    expect(await paymentsOf(request.orderId)).toEqual([expect.objectContaining({ status: 'declined', decline_reason: 'card_declined' })]);
    expect(await publishedFor(request.orderId)).toEqual([
      { name: 'payments.PaymentDeclined', payload: { orderId: request.orderId, paymentId: payment.id, reason: 'card_declined' } },
    ]);
  });

  it('charges an order once when asked twice: one charge, one payment, one event', async () => {
    const { takePayment: take, charges } = withCountingProvider();
    const request = paymentRequest();

    const first = await db.transaction().execute((trx) => take(request, trx));
    const second = await db.transaction().execute((trx) => take({ ...request, paymentMethod: 'tok_decline' }, trx));

    expect(charges()).toBe(1);
    expect(second).toEqual(first);
    expect(await paymentsOf(request.orderId)).toHaveLength(1);
    expect(await publishedFor(request.orderId)).toHaveLength(1);
  });

  it('gets the first result from the provider again when its transaction was rolled back and redone', async () => {
    const provider = makeSimulatedPaymentProvider();
    const take = makeTakePayment({
      paymentsRepository: app.module('payments').deps.paymentsRepository,
      events: app.module('payments').events,
      paymentProvider: provider,
    });
    const request = paymentRequest();

    let firstTry: string | undefined;
    await expect(
      db.transaction().execute(async (trx) => {
        firstTry = (await take(request, trx)).providerReference;
        throw new Error('batch failed after the charge');
      }),
    ).rejects.toThrow('batch failed');
    expect(await paymentsOf(request.orderId)).toEqual([]);
    expect(await publishedFor(request.orderId)).toEqual([]);

    const redone = await db.transaction().execute((trx) => take(request, trx));

    expect(provider.chargesMade).toBe(1);
    expect(redone.providerReference).toBe(firstTry);
    expect(await publishedFor(request.orderId)).toHaveLength(1);
  });

  it('is what the PaymentRequested subscription runs; a redelivered request is ignored', async () => {
    const handler = app.module('payments').handler(PaymentRequested);
    const request = paymentRequest();
    const event: DeliveredEvent<EventPayload<typeof PaymentRequested>> = {
      id: randomUUID(),
      name: 'ordering.PaymentRequested',
      version: 1,
      key: request.orderId,
      occurredAt: new Date(),
      attempt: 1,
      afterCommit: () => undefined,
      payload: request,
    };

    await db.transaction().execute((trx) => handler(event, trx));
    await db.transaction().execute((trx) => handler({ ...event, id: randomUUID(), attempt: 2 }, trx));

    expect(await paymentsOf(request.orderId)).toHaveLength(1);
    expect((await publishedFor(request.orderId)).map((published) => published.name)).toEqual(['payments.PaymentCaptured']);
  });
});

describe('the payments table', () => {
  it('refuses a second payment for one order and a decline without a reason', async () => {
    const orderId = randomUUID();
    const row = { order_id: orderId, customer_id: 'c', status: 'captured' as const, amount_cents: 1, currency: 'EUR', provider_reference: 'r', decline_reason: null };
    await db.insertInto('payments').values(row).execute();
    await expect(db.insertInto('payments').values(row).execute()).rejects.toThrow(/unique|duplicate/);
    await expect(db.insertInto('payments').values({ ...row, order_id: randomUUID(), status: 'declined' }).execute()).rejects.toThrow('payments_declined_has_reason');
  });
});
