import { afterEach, expect, it } from 'vitest';
import { startApp } from '#testing';
import { probeSystem, type ProbeTables } from '../support/probe-modules.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * Two instances on one database: one publishes (it runs only the producer), the other runs the subscriber. The
 * fallback poll is ten minutes, so only a NOTIFY can bring the event over in time. An instance sends that NOTIFY only
 * while another instance listens (a NOTIFY costs a commit); these tests show it still reaches one that started before
 * it, and one that starts after it had found nobody listening. On a database of their own, so no other test file's
 * listener counts as "another instance" (each test's own: its first instance's fresh one).
 */
const probes = probeSystem('wake', 1);
const env = { EVENTS_POLL_INTERVAL_MS: '600000' };
const [producerModule] = probes.modules;
type Instance = Awaited<ReturnType<typeof startApp>>;
let apps: Instance[] = [];

afterEach(async () => {
  // The first instance owns the database: it goes last.
  for (const app of apps.reverse()) await app.close();
  apps = [];
});

async function start(which: 'publisher' | 'subscriber'): Promise<Instance> {
  const modules = which === 'publisher' ? [producerModule!] : probes.modules;
  const app = await startApp({ modules, migrationsDir: probes.migrationsDir, env, ...(apps[0] ? { databaseUrl: apps[0].databaseUrl } : {}) });
  apps.push(app);
  return app;
}

async function publish(app: Instance, key: string): Promise<void> {
  const producer = app.module(probes.producer);
  await producer
    .db()
    .transaction()
    .execute((trx) => producer.events.publish(trx, probes.Pinged, { n: 1, key }));
}

async function handledWithin(subscriber: Instance, key: string, ms: number): Promise<number> {
  const db = subscriber.module(probes.subscribers[0]!).db<ProbeTables>();
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
