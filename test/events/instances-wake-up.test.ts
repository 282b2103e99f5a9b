import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import type { Publisher } from '#platform/events/publisher.ts';
import { buildTestApp, isolatedDatabase } from '../support/test-app.ts';
import { probeSystem, type ProbeTables } from '../support/probe-modules.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * Two instances on one database: one publishes (it runs only the producer), the other runs the subscriber. The
 * fallback poll is ten minutes, so only a NOTIFY can bring the event over in time. An instance sends that NOTIFY only
 * while another instance listens (a NOTIFY costs a commit); these tests show it still reaches one that started before
 * it, and one that starts after it had found nobody listening. On a database of their own, so no other test file's
 * listener counts as "another instance".
 */
const probes = probeSystem('wake', 1);
const env = { EVENTS_POLL_INTERVAL_MS: '600000' };
const [producerModule] = probes.modules;
let database: { url: string; drop: () => Promise<void> };
let apps: ModuleRouter[] = [];

beforeAll(async () => {
  database = await isolatedDatabase();
}, 60_000);
afterEach(async () => {
  await Promise.all(apps.map((app) => app.close()));
  apps = [];
});
afterAll(async () => {
  await database?.drop();
});

async function start(which: 'publisher' | 'subscriber'): Promise<ModuleRouter> {
  const modules = which === 'publisher' ? [producerModule!] : probes.modules;
  const app = await buildTestApp({ modules, migrationsDir: probes.migrationsDir, databaseUrl: database.url, env });
  apps.push(app);
  await app.ready();
  return app;
}

async function publish(app: ModuleRouter, key: string): Promise<void> {
  const db = app.diContainer.resolve<Kysely<unknown>>(`${probes.producer}/db`);
  const events = app.diContainer.resolve<Publisher>(`${probes.producer}/events`);
  await db.transaction().execute((trx) => events.publish(trx, probes.Pinged, { n: 1, key }));
}

async function handledWithin(subscriber: ModuleRouter, key: string, ms: number): Promise<number> {
  const db = subscriber.diContainer.resolve<Kysely<ProbeTables>>(`${probes.subscribers[0]}/db`);
  const started = Date.now();
  await waitFor(async () => (await db.selectFrom('effects').select('id').where('key', '=', key).execute()).length === 1, {
    timeoutMs: ms,
    message: `event ${key} not handled by the other instance within ${ms} ms (the fallback poll is 10 minutes)`,
  });
  return Date.now() - started;
}

it('wakes a subscriber in an instance that was listening before the publisher started', { timeout: 60_000 }, async () => {
  const subscriber = await start('subscriber');
  const publisher = await start('publisher');
  const key = `before-${Date.now()}`;
  await publish(publisher, key);
  expect(await handledWithin(subscriber, key, 3000)).toBeLessThan(3000);
});

it('wakes a subscriber in an instance that started after the publisher found nobody listening', { timeout: 60_000 }, async () => {
  const publisher = await start('publisher');
  // The publisher's first look found no other listener; events published now send no NOTIFY.
  await publish(publisher, `alone-${Date.now()}`);
  const subscriber = await start('subscriber');
  const key = `after-${Date.now()}`;
  await publish(publisher, key);
  expect(await handledWithin(subscriber, key, 3000)).toBeLessThan(3000);
});
