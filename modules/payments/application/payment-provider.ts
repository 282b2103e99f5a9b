/**
 * The port to whoever moves the money. Handlers call it inside a transaction that may be rolled back and redone, so an
 * adapter must be idempotent per order: charging the same `orderId` again returns the first result and never charges
 * twice (real providers take the order id as the idempotency key).
 */
export interface PaymentProvider {
  charge(request: ChargeRequest): Promise<ChargeResult>;
}

export interface ChargeRequest {
  /** Also the idempotency key. */
  readonly orderId: string;
  readonly customerId: string;
  readonly amountCents: number;
  readonly currency: string;
  /** The customer's payment token, as the provider issued it. */
  readonly paymentMethod: string | undefined;
}

export type ChargeResult =
  | { readonly status: 'captured'; readonly reference: string }
  | { readonly status: 'declined'; readonly reference: string; readonly reason: string };
