import { afterAll, beforeAll } from 'vitest';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import { buildTestApp } from '../support/test-app.ts';
import { contention } from '../support/contention-suite.ts';

/** The contention race (test/support/contention-suite.ts) with every module in this one process. */

let app: ModuleRouter;
beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(async () => {
  await app.close();
});

contention(() => ({ app }));
