import type { Transaction } from 'kysely';
import type { ModuleDb } from '#platform/db/module-database.ts';
import type { NewPayment, Payment } from '../domain/payment.ts';
import type { PaymentRow, PaymentsTables } from './payments.table.ts';

export interface PaymentsRepository {
  findByOrderId(orderId: string, trx?: Transaction<PaymentsTables>): Promise<Payment | undefined>;
  /** Returns undefined when the order already has a payment; the existing one is left as it is. */
  insert(payment: NewPayment, trx: Transaction<PaymentsTables>): Promise<Payment | undefined>;
}

export function makePaymentsRepository({ db }: { db: ModuleDb<PaymentsTables> }): PaymentsRepository {
  return {
    async findByOrderId(orderId, trx) {
      const row = await (trx ?? db).selectFrom('payments').selectAll().where('order_id', '=', orderId).executeTakeFirst();
      return row && toPayment(row);
    },

    async insert(payment, trx) {
      const row = await trx
        .insertInto('payments')
        .values({
          order_id: payment.orderId,
          customer_id: payment.customerId,
          status: payment.status,
          amount_cents: payment.amountCents,
          currency: payment.currency,
          provider_reference: payment.providerReference,
          decline_reason: payment.declineReason ?? null,
        })
        .onConflict((conflict) => conflict.column('order_id').doNothing())
        .returningAll()
        .executeTakeFirst();
      return row && toPayment(row);
    },
  };
}

function toPayment(row: PaymentRow): Payment {
  return {
    id: row.id,
    orderId: row.order_id,
    status: row.status,
    amountCents: Number(row.amount_cents),
    currency: row.currency,
    providerReference: row.provider_reference,
    declineReason: row.decline_reason ?? undefined,
    createdAt: row.created_at,
  };
}
