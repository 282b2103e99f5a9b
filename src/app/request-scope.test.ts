import { expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import { defineModule } from '#platform/modules/define-module.ts';
import { useApp } from '#testing';

// Module names of this file's own, so parallel test files never share a schema.
const suffix = Math.random().toString(36).slice(2, 8);
const scopeReport = (request: FastifyRequest) => ({ scoped: Boolean((request as FastifyRequest & { diScope?: unknown }).diScope) });
const scoped = defineModule({
  name: `scoped-${suffix}`,
  owners: ['@t'],
  dependsOn: {},
  requestScope: true,
  routes: (app: ModuleRouter) => {
    app.get(`/scoped-${suffix}`, async (request) => scopeReport(request));
  },
});
const unscoped = defineModule({
  name: `unscoped-${suffix}`,
  owners: ['@t'],
  dependsOn: {},
  routes: (app: ModuleRouter) => {
    app.get(`/unscoped-${suffix}`, async (request) => scopeReport(request));
  },
});

const app = useApp({ modules: [scoped, unscoped] });

it('makes a DI scope per request only for the routes of a module that asks for one (requestScope)', async () => {
  expect((await app.inject({ method: 'GET', url: `/scoped-${suffix}` })).json()).toEqual({ scoped: true });
  expect((await app.inject({ method: 'GET', url: `/unscoped-${suffix}` })).json()).toEqual({ scoped: false });
  // The app's container is there either way, for whoever builds the app (tests resolve through it).
  expect(app.diContainer).toBeDefined();
});
