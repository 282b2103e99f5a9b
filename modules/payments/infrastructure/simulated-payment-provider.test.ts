import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ChargeRequest } from '../application/payment-provider.ts';
import { DECLINED_TEST_TOKEN, makeSimulatedPaymentProvider } from './simulated-payment-provider.ts';

const request = (change: Partial<ChargeRequest> = {}): ChargeRequest => ({
  orderId: randomUUID(),
  customerId: 'c-1',
  amountCents: 1250,
  currency: 'EUR',
  paymentMethod: 'tok_visa',
  ...change,
});

describe('the simulated payment provider', () => {
  it('captures any token but the decline token, and a missing token too', async () => {
    const provider = makeSimulatedPaymentProvider();
    expect(await provider.charge(request())).toMatchObject({ status: 'captured', reference: expect.stringMatching(/^sim_/) });
    expect(await provider.charge(request({ paymentMethod: undefined }))).toMatchObject({ status: 'captured' });
  });

  it('declines the decline token with a reason', async () => {
    const provider = makeSimulatedPaymentProvider();
    expect(await provider.charge(request({ paymentMethod: DECLINED_TEST_TOKEN }))).toMatchObject({ status: 'declined', reason: 'card_declined' });
  });

  it('answers a repeated charge of one order with the first result, without charging again, even when asked concurrently', async () => {
    const provider = makeSimulatedPaymentProvider();
    const orderId = randomUUID();
    const [first, second] = await Promise.all([provider.charge(request({ orderId })), provider.charge(request({ orderId }))]);
    const later = await provider.charge(request({ orderId, paymentMethod: DECLINED_TEST_TOKEN }));
    expect(second).toEqual(first);
    expect(later).toEqual(first);
    expect(provider.chargesMade).toBe(1);
  });
});
