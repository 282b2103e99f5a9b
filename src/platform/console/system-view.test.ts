import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { defineContract } from '../modules/contract.ts';
import { defineModule } from '../modules/define-module.ts';
import { defineEvent } from '../events/event-definition.ts';
import { subscribe } from '../events/subscription.ts';
import { systemView } from './system-view.ts';

const Made = defineEvent({ name: 'maker.Made', version: 1, description: 'Something was made.', schema: Type.Object({ id: Type.String() }) });
const maker = defineModule({
  name: 'maker',
  description: 'Makes things.',
  owners: ['@team/maker'],
  dependsOn: {},
  contract: defineContract({ module: 'maker', methods: { make: { input: Type.Object({}), output: Type.Object({}), description: 'Makes one.', idempotent: false } }, events: { Made } }),
  api: () => ({ make: async () => ({}) }),
});
const user = defineModule({
  name: 'user',
  owners: ['@team/user'],
  dependsOn: { maker: 'asks for things and hears when they are made' },
  subscriptions: [subscribe(Made, () => async () => undefined)],
});
const watcher = defineModule({ name: 'watcher', owners: ['@team/watcher'], dependsOn: { maker: 'counts what is made' }, subscriptions: [subscribe(Made, () => async () => undefined)] });

describe('systemView', () => {
  it('places each module as seen from this process: here, remote (its API is called over HTTP), or elsewhere', () => {
    const view = systemView({ modules: [maker, user, watcher], local: ['user'], remoteModules: { maker: 'http://maker.internal:3000' }, calls: new Map([['user', new Set(['maker'])]]) });
    expect(view.modules.map((module) => [module.name, module.placement])).toEqual([
      ['maker', { kind: 'remote', url: 'http://maker.internal:3000' }],
      ['user', { kind: 'here' }],
      ['watcher', { kind: 'elsewhere' }],
    ]);
    expect(view.modules[0]).toMatchObject({ description: 'Makes things.', methods: ['make'], publishes: [{ event: 'maker.Made', version: 1 }] });
    expect(view.modules[1]!.dependsOn).toEqual([{ module: 'maker', reason: 'asks for things and hears when they are made', callsApi: true, events: ['maker.Made@1'] }]);
    // An API use is known only for modules that run here; the other's dependency is drawn as declared.
    expect(view.modules[2]!.dependsOn[0]).toMatchObject({ callsApi: false, events: ['maker.Made@1'] });
    expect(view.flows.map((flow) => `${flow.producer}->${flow.subscriber}:${flow.event}@${flow.version}`)).toEqual(['maker->user:maker.Made@1', 'maker->watcher:maker.Made@1']);
  });
});
