import { randomUUID } from 'node:crypto';
import type { ChargeRequest, ChargeResult, PaymentProvider } from '../application/payment-provider.ts';

/** The test token that the simulated provider declines, like a real provider's "card declined" test card. */
export const DECLINED_TEST_TOKEN = 'tok_decline';

export interface SimulatedPaymentProvider extends PaymentProvider {
  /** Charges actually made (repeats for the same order are not charges). */
  readonly chargesMade: number;
}

/**
 * A stand-in for a payment provider, in memory: declines {@link DECLINED_TEST_TOKEN} and captures anything else,
 * including no token at all. Like a real provider it remembers each charge by its idempotency key (the order id), so
 * asking again returns the first result without charging again. The memory lasts as long as the process.
 */
export function makeSimulatedPaymentProvider(): SimulatedPaymentProvider {
  // The promise is stored, not the result, so two concurrent requests for one order still make one charge.
  const charges = new Map<string, Promise<ChargeResult>>();
  return {
    get chargesMade() {
      return charges.size;
    },
    charge(request: ChargeRequest) {
      const known = charges.get(request.orderId);
      if (known) return known;
      const result = Promise.resolve(simulate(request));
      charges.set(request.orderId, result);
      return result;
    },
  };
}

function simulate(request: ChargeRequest): ChargeResult {
  const reference = `sim_${randomUUID()}`;
  if (request.paymentMethod === DECLINED_TEST_TOKEN) return { status: 'declined', reference, reason: 'card_declined' };
  return { status: 'captured', reference };
}
