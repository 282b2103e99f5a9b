import { describe, expect, it } from 'vitest';
import { useApp } from '#testing';
import { SignInCode } from '#platform/console/sign-in-code.ts';
import { TraceBuffer } from '#platform/telemetry/trace-buffer.ts';
import { probeSystem } from '../support/probe-modules.ts';
import { tokens } from '../support/test-app.ts';

// Not the shop: the console describes whatever modules it is given, with no business words of its own.
const probes = probeSystem('cons', 1);
const code = new SignInCode();
const app = useApp({
  modules: probes.modules,
  migrationsDir: probes.migrationsDir,
  env: { DB_POOL_MAX: '2' },
  extras: { consoleSignInCode: code, traces: new TraceBuffer(5) },
});

const routes = ['/admin/console/system', `/admin/console/modules/${probes.producer}`, '/admin/console/traces', `/admin/console/traces/${'a'.repeat(32)}`];

describe('the console API', () => {
  it('answers 401 problem+json without a token and 403 without the admin role, on every route', async () => {
    for (const url of routes) {
      const anonymous = await app.inject({ url });
      expect(anonymous.statusCode, url).toBe(401);
      expect(anonymous.headers['content-type']).toContain('application/problem+json');
      const customer = await app.inject({ url, headers: tokens(app).customer });
      expect(customer.statusCode, url).toBe(403);
      expect(customer.json().code).toBe('ADMIN_ROLE_REQUIRED');
    }
  });

  it('describes any module set: modules, their dependencies with reasons, and event flows with versions', async () => {
    const response = await app.inject({ url: '/admin/console/system', headers: tokens(app).admin });
    expect(response.statusCode).toBe(200);
    const system = response.json();
    expect(system.modules.map((module: { name: string }) => module.name)).toEqual([probes.producer, probes.subscribers[0]]);
    expect(system.modules[1]).toMatchObject({ placement: { kind: 'here' }, dependsOn: [{ module: probes.producer, reason: 'the test watches its events', callsApi: false, events: [`${probes.Pinged.name}@1`] }] });
    expect(system.flows).toEqual([{ producer: probes.producer, subscriber: probes.subscribers[0], event: probes.Pinged.name, version: 1, subscription: probes.Pinged.name }]);
    expect(system.traces).toEqual({ capacity: 5, url: null });
  });

  it("shows a module's events with their schemas, its tables from the database, and its dependants", async () => {
    const producer = (await app.inject({ url: `/admin/console/modules/${probes.producer}`, headers: tokens(app).admin })).json();
    expect(producer.publishes[0]).toMatchObject({ event: probes.Pinged.name, version: 1, consumers: [{ module: probes.subscribers[0], version: 1 }] });
    expect(producer.publishes[0].schema.properties).toHaveProperty('key');
    expect(producer.dependants).toEqual([{ module: probes.subscribers[0], reason: 'the test watches its events', owners: ['@seams/tests'] }]);
    const sink = (await app.inject({ url: `/admin/console/modules/${probes.subscribers[0]}`, headers: tokens(app).admin })).json();
    const effects = sink.tables.find((table: { name: string }) => table.name === 'effects');
    expect(effects.columns.map((column: { name: string }) => column.name)).toEqual(expect.arrayContaining(['event_id', 'n', 'key', 'attempt']));
    expect(sink.tables.find((table: { name: string }) => table.name === 'seams_parked')).toMatchObject({ platform: true });
    const missing = await app.inject({ url: '/admin/console/modules/no-such-module', headers: tokens(app).admin });
    expect(missing.statusCode).toBe(404);
  });

  it('trades the one-time code for an admin token once, and refuses it afterwards', async () => {
    const wrong = await app.inject({ method: 'POST', url: '/admin/console/sign-in', payload: { code: 'not-the-code' } });
    expect(wrong.statusCode).toBe(401);
    const first = await app.inject({ method: 'POST', url: '/admin/console/sign-in', payload: { code: code.code } });
    expect(first.statusCode).toBe(200);
    const system = await app.inject({ url: '/admin/console/system', headers: { authorization: `Bearer ${first.json().token}` } });
    expect(system.statusCode).toBe(200);
    const again = await app.inject({ method: 'POST', url: '/admin/console/sign-in', payload: { code: code.code } });
    expect(again.statusCode).toBe(401);
    expect(again.json().code).toBe('SIGN_IN_CODE_INVALID');
  });

  it('lists the console routes in the OpenAPI document', async () => {
    const paths = Object.keys((await app.inject({ url: '/docs/json' })).json().paths);
    expect(paths).toEqual(expect.arrayContaining(['/admin/console/system', '/admin/console/modules/{name}', '/admin/console/traces', '/admin/console/traces/{traceId}', '/admin/events/dead-letters/{id}/discard']));
  });
});
