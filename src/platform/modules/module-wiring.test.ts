import { describe, expect, it } from 'vitest';
import Type from 'typebox';
import { defineContract } from './contract.ts';
import { defineModule } from './define-module.ts';
import { createAppContainer, registerModules, resolveAll, ModuleWiringError } from './module-container.ts';
import { assertNoSyncCycle, validateModules } from './module-registry.ts';
import { resolveTopology } from './topology.ts';
import { defineEvent } from '../events/event-definition.ts';
import { subscribe } from '../events/subscription.ts';

const pricesContract = defineContract({
  module: 'prices',
  methods: { quote: { description: 'A price.', idempotent: true, input: Type.Object({}), output: Type.Object({ cents: Type.Integer() }) } },
  events: { PriceSet: defineEvent({ name: 'prices.PriceSet', version: 1, description: 'A price was set.', schema: Type.Object({ cents: Type.Integer() }) }) },
});
const prices = defineModule({ name: 'prices', owners: ['@t'], dependsOn: {}, contract: pricesContract, api: () => ({ quote: async () => ({ cents: 1 }) }) });

function wire(...modules: ReturnType<typeof defineModule>[]) {
  const container = createAppContainer();
  const { calls } = registerModules(container, modules, () => ({ db: undefined, logger: undefined, config: undefined, events: undefined }));
  resolveAll(container, modules);
  return { container, calls };
}

describe('module wiring at start-up', () => {
  it("gives a module the API of a module it declared, and records the call", async () => {
    const shop = defineModule({
      name: 'shop',
      owners: ['@t'],
      dependsOn: { prices: 'needs current prices' },
      register: { checkout: ({ pricesApi }: { pricesApi: unknown }) => ({ pricesApi }) },
    });
    const { container, calls } = wire(prices, shop);
    // The consumer gets the provider's API behind a tracing wrapper: same methods, same results.
    const { pricesApi } = container.resolve<{ pricesApi: { quote: (input: object) => Promise<{ cents: number }> } }>('shop/checkout');
    expect(Object.keys(pricesApi)).toEqual(['quote']);
    await expect(pricesApi.quote({})).resolves.toEqual({ cents: 1 });
    expect([...calls.get('shop')!]).toEqual(['prices']);
  });

  it("fails with a message naming what to declare when a module resolves an API it did not declare", () => {
    const sneaky = defineModule({ name: 'sneaky', owners: ['@t'], dependsOn: {}, register: { thief: ({ pricesApi }: { pricesApi: unknown }) => pricesApi } });
    expect(() => wire(prices, sneaky)).toThrow(ModuleWiringError);
    expect(() => wire(prices, sneaky)).toThrow(/Module "sneaky" resolves "pricesApi" but does not declare a dependency on "prices".*dependsOn: \{ 'prices': '<why>' \}/);
  });

  it("fails when a module resolves another module's private registration", () => {
    const withRepo = defineModule({ name: 'stock', owners: ['@t'], dependsOn: {}, register: { stockRepository: () => ({}) } });
    const reacher = defineModule({ name: 'reacher', owners: ['@t'], dependsOn: { stock: 'x' }, register: { x: ({ stockRepository }: { stockRepository: unknown }) => stockRepository } });
    expect(() => wire(withRepo, reacher)).toThrow(/Module "reacher" resolves "stockRepository", which is not registered for it/);
  });

  it('refuses a subscription to a module that is not a declared dependency', () => {
    expect(() =>
      defineModule({ name: 'listener', owners: ['@t'], dependsOn: {}, subscriptions: [subscribe(pricesContract.events.PriceSet, () => async () => undefined)] }),
    ).toThrow(/subscribes to prices.PriceSet but does not declare a dependency on "prices"/);
  });

  it('refuses a cycle of API calls, but not events flowing back', () => {
    const useOf = (other: string) => (deps: Record<string, unknown>) => deps[`${other}Api`];
    const a = defineModule({ name: 'a', owners: ['@t'], dependsOn: { b: 'x' }, contract: defineContract({ module: 'a', methods: {} }), api: () => ({}), register: { useB: useOf('b') } });
    const b = defineModule({ name: 'b', owners: ['@t'], dependsOn: { a: 'x' }, contract: defineContract({ module: 'b', methods: {} }), api: () => ({}), register: { useA: useOf('a') } });
    const { calls } = wire(a, b);
    expect(() => assertNoSyncCycle(calls)).toThrow(/cycle: (a -> b -> a|b -> a -> b)/);
    // Declared both ways, but only one side calls: that is a dependency plus events flowing back, which is fine.
    const c = defineModule({ name: 'c', owners: ['@t'], dependsOn: { d: 'x' }, contract: defineContract({ module: 'c', methods: {} }), api: () => ({}) });
    const d = defineModule({ name: 'd', owners: ['@t'], dependsOn: { c: 'x' }, contract: defineContract({ module: 'd', methods: {} }), api: () => ({}), register: { useC: useOf('c') } });
    expect(() => assertNoSyncCycle(wire(c, d).calls)).not.toThrow();
  });

  it('refuses a dependency on a module that is not in the list, or one that this process neither runs nor reaches', () => {
    const orphan = defineModule({ name: 'orphan', owners: ['@t'], dependsOn: { ghost: 'x' } });
    expect(() => validateModules([orphan])).toThrow(/declares a dependency on "ghost", which is not in src\/modules.ts/);
    const user = defineModule({ name: 'user', owners: ['@t'], dependsOn: { prices: 'x' } });
    expect(() => resolveTopology([prices, user], ['user'], {})).toThrow(
      /neither runs nor knows where to reach a module it needs:\n {2}- "prices" \(needed by "user"\): add it to MODULES, or to REMOTE_MODULES as prices=http:\/\/<host>:<port>/,
    );
    const topology = resolveTopology([prices, user], ['user'], { prices: 'http://127.0.0.1:4001' });
    expect(topology.local.map((module) => module.name)).toEqual(['user']);
    expect(topology.remote).toEqual([{ module: prices, url: 'http://127.0.0.1:4001' }]);
  });

  it('gives a module the client of a remote module where the local API would be, behind the same wrapper', async () => {
    const shop = defineModule({ name: 'shop', owners: ['@t'], dependsOn: { prices: 'x' }, register: { checkout: ({ pricesApi }: { pricesApi: unknown }) => pricesApi } });
    const container = createAppContainer();
    const remote = { quote: async () => ({ cents: 42 }) };
    const { calls } = registerModules(container, [shop], () => ({}), new Map([['prices', remote]]));
    resolveAll(container, [shop]);
    const pricesApi = container.resolve<{ quote: (input: object) => Promise<{ cents: number }> }>('shop/checkout');
    expect(pricesApi).not.toBe(remote);
    await expect(pricesApi.quote({})).resolves.toEqual({ cents: 42 });
    expect([...calls.get('shop')!]).toEqual(['prices']);
  });

  it('refuses bad manifests: names, owners, reasons', () => {
    expect(() => defineModule({ name: 'Bad_Name', owners: ['@t'], dependsOn: {} })).toThrow(/kebab-case/);
    expect(() => defineModule({ name: 'ok', owners: [], dependsOn: {} })).toThrow(/at least one owner/);
    expect(() => defineModule({ name: 'ok', owners: ['@t'], dependsOn: { prices: ' ' } })).toThrow(/must give a reason/);
  });
});
