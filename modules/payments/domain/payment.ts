/** The outcome of charging one order. An order is charged at most once, so it has at most one payment. */
export interface Payment {
  readonly id: string;
  readonly orderId: string;
  readonly status: 'captured' | 'declined';
  readonly amountCents: number;
  readonly currency: string;
  /** The provider's id for the charge, for reconciliation and support. */
  readonly providerReference: string;
  /** Why the provider declined; undefined when captured. */
  readonly declineReason: string | undefined;
  readonly createdAt: Date;
}

export type NewPayment = Omit<Payment, 'id' | 'createdAt'> & { readonly customerId: string };
