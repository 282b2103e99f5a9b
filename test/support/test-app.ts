import { inject } from 'vitest';
import { freshDatabase } from '#platform/testing/test-database.ts';
import type { ShopClient } from './shop-client.ts';

// Apps are built by the harness (`useApp`, `startApp` from '#testing'); these are what tests need around them.
export { TEST_JWT_SECRET } from '#testing';

/** Bearer headers for a customer (a fresh id unless given) and for an admin, signed with the app's secret. */
export function tokens(app: Pick<ShopClient, 'jwt'>, customerId = `customer-${Math.random().toString(36).slice(2)}`) {
  return {
    customerId,
    customer: { authorization: `Bearer ${app.jwt.sign({ sub: customerId, roles: [] })}` },
    admin: { authorization: `Bearer ${app.jwt.sign({ sub: 'admin-1', roles: ['admin'] })}` },
  };
}

/** The database global setup created and migrated for this run. */
export function testDatabaseUrl(): string {
  return inject('databaseUrl');
}

/**
 * A database of the test's own, for tests that count what one process did (metrics, spans) or that outlive an app
 * (several deployments in turn): on the shared database, the apps of other test files take their share of the events.
 */
export function isolatedDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  return freshDatabase(inject('serverUrl'));
}
