import { describe, expect, it } from 'vitest';
import Type from 'typebox';
import { defineContract } from '../modules/contract.ts';
import { defineModule } from '../modules/define-module.ts';
import { validateModules } from '../modules/module-registry.ts';
import { defineEvent, EventPayloadError } from './event-definition.ts';
import { EventVersionError, payloadConverter, subscriptionVersionProblems, versionsOf } from './event-versions.ts';
import { subscribe } from './subscription.ts';

const V1 = defineEvent({ name: 'shop.Sold', version: 1, description: 'v1', schema: Type.Object({ cents: Type.Integer() }, { additionalProperties: false }) });
const V2 = defineEvent({
  name: 'shop.Sold',
  version: 2,
  description: 'v2',
  schema: Type.Object({ cents: Type.Integer(), currency: Type.String() }, { additionalProperties: false }),
  from: V1,
  upcast: (v1) => ({ ...v1, currency: 'EUR' }),
  downcast: ({ cents }) => ({ cents }),
});
const V3 = defineEvent({
  name: 'shop.Sold',
  version: 3,
  description: 'v3',
  schema: Type.Object({ amount: Type.Object({ cents: Type.Integer(), currency: Type.String() }) }, { additionalProperties: false }),
  from: V2,
  upcast: (v2) => ({ amount: v2 }),
  downcast: ({ amount }) => amount,
});
const versions = new Map(versionsOf(V3).map((version) => [version.version, version]));

describe('payloadConverter: a stored payload as the version the handler takes', () => {
  it('hands a payload in the same version over as stored', () => {
    const stored = { cents: 1 };
    expect(payloadConverter(V1, versions)(1, stored)).toBe(stored);
  });

  it('upcasts an older payload through every version on the way', () => {
    expect(payloadConverter(V3, versions)(1, { cents: 5 })).toEqual({ amount: { cents: 5, currency: 'EUR' } });
  });

  it('downcasts a newer payload through every version on the way', () => {
    expect(payloadConverter(V1, versions)(3, { amount: { cents: 5, currency: 'USD' } })).toEqual({ cents: 5 });
  });

  it('refuses, naming the missing caster, a version it cannot reach', () => {
    const noDowncast = defineEvent({ name: 'shop.Sold', version: 2, description: 'v2', schema: V2.schema, from: V1, upcast: (v1) => ({ ...v1, currency: 'EUR' }) });
    const convert = payloadConverter(V1, new Map([[1, V1], [2, noDowncast]]));
    expect(() => convert(2, { cents: 1, currency: 'EUR' })).toThrow(new EventVersionError('shop.Sold v2 cannot become v1: shop.Sold v2 declares no downcast to v1'));
    // A version retired from the contract (v3 declares no `from`) cannot be upcast any more.
    const retired = defineEvent({ name: 'shop.Sold', version: 3, description: 'v3', schema: V3.schema });
    expect(() => payloadConverter(retired, new Map([[3, retired]]))(1, { cents: 1 })).toThrow(/shop\.Sold v2 is not declared, so there is no upcast from v1/);
  });

  it('checks what a caster made against the target schema', () => {
    const sloppy = defineEvent({ name: 'shop.Sold', version: 2, description: 'v2', schema: V2.schema, from: V1, upcast: (v1) => v1 as never });
    expect(() => payloadConverter(sloppy, new Map([[1, V1], [2, sloppy]]))(1, { cents: 1 })).toThrow(EventPayloadError);
  });
});

describe('defineEvent with from', () => {
  it('refuses a version that does not follow the one it comes from', () => {
    expect(() => defineEvent({ name: 'shop.Sold', version: 3, description: 'x', schema: V2.schema, from: V1, upcast: (v1) => ({ ...v1, currency: 'EUR' }) })).toThrow(
      'shop.Sold v3 must come from shop.Sold v2, not from shop.Sold v1',
    );
  });

  it('refuses a contract that lists two versions of one event', () => {
    expect(() => defineContract({ module: 'shop', methods: {}, events: { V1, V2 } })).toThrow(/lists shop\.Sold twice: list only its newest version/);
  });
});

describe('which version each subscriber takes', () => {
  const producer = (newest: typeof V2) =>
    defineModule({ name: 'shop', owners: ['@t'], dependsOn: {}, contract: defineContract({ module: 'shop', methods: {}, events: { Sold: newest } }), api: () => ({}) });
  const subscriber = (name: string, event: typeof V1) =>
    defineModule({ name, owners: ['@t'], dependsOn: { shop: 'reads sales' }, subscriptions: [subscribe(event, () => async () => undefined)] });

  it('is fine while every older version a subscriber takes has its downcast', () => {
    expect(subscriptionVersionProblems([producer(V2), subscriber('books', V1), subscriber('stats', V2)])).toEqual([]);
  });

  it('fails start-up, naming the subscriber, when a downcast it needs is gone', () => {
    const withoutDowncast = defineEvent({ name: 'shop.Sold', version: 2, description: 'v2', schema: V2.schema, from: V1, upcast: (v1) => ({ ...v1, currency: 'EUR' }) });
    const modules = [producer(withoutDowncast), subscriber('books', V1), subscriber('stats', withoutDowncast)];
    expect(() => validateModules(modules)).toThrow(
      'Module "books" (subscription shop.Sold) takes shop.Sold v1, but "shop" publishes v2 and shop.Sold v2 declares no downcast to v1. ' +
        'Keep the downcast in modules/shop/contract.ts while a subscriber takes v1, or move the subscriber to v2.',
    );
  });

  it('names a subscriber that takes a version the contract does not declare', () => {
    const other = defineEvent({ name: 'shop.Sold', version: 1, description: 'a copy', schema: V1.schema });
    expect(subscriptionVersionProblems([producer(V2), subscriber('books', other)])).toEqual([
      'Module "books" (subscription shop.Sold) takes shop.Sold v1 from a definition that is not the one in the contract of "shop": import it from modules/shop/contract.ts.',
    ]);
  });
});
