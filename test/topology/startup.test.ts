import { expect, it } from 'vitest';
import { modules as shopModules } from '../../src/modules.ts';
import { startApp } from '#testing';

/** What a process needs to start when it runs only some modules: the ones its modules depend on, local or remote. */

const SERVICE_TOKEN = 'startup-test-service-token-0123456789abcdef';

it('refuses to start a module whose dependencies are neither local nor remote, naming each of them and what to set', async () => {
  const error = await startApp({ env: { MODULES: 'ordering', SERVICE_TOKEN } }).then(
    async (started) => {
      await started.close();
      throw new Error('started without catalog, inventory and payments');
    },
    (caught: unknown) => caught as Error,
  );
  expect(error.name).toBe('ModuleWiringError');
  for (const needed of ['catalog', 'inventory', 'payments']) {
    expect(error.message).toContain(`"${needed}" (needed by "ordering"): add it to MODULES, or to REMOTE_MODULES as ${needed}=http://<host>:<port>`);
  }
});

it('starts ordering once each of its dependencies is run here or reachable remotely', async () => {
  // The catalog's address is never called here: start-up only registers a client for it. The shop without its read
  // model, which subscribes to the catalog's events: those would cross processes and need NATS, not this test's topic.
  const modules = shopModules.filter((module) => module.name !== 'order-history');
  const started = await startApp({ modules, env: { MODULES: 'ordering,inventory,payments', REMOTE_MODULES: 'catalog=http://127.0.0.1:9', SERVICE_TOKEN } });
  const { app } = started;
  try {
    const ready = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode, ready.body).toBe(200);
    // Ordering's routes are there; the catalog's are not.
    expect((await app.inject({ method: 'GET', url: '/orders/00000000-0000-4000-8000-000000000000' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/catalog/products' })).statusCode).toBe(404);
  } finally {
    await started.close();
  }
});

it('refuses the same module remote and local', async () => {
  await expect(startApp({ env: { MODULES: 'catalog', REMOTE_MODULES: 'catalog=http://127.0.0.1:9', SERVICE_TOKEN } })).rejects.toThrow(
    /REMOTE_MODULES names "catalog", which this process runs itself \(MODULES\): a module is either local or remote/,
  );
});
