import pg from 'pg';
import { expect, it } from 'vitest';
import { startApp, useApp } from '#testing';

/**
 * Event positions are transaction ids of one server. Event tables restored from another server's dump (a module moved
 * without the drain docs/extraction.md asks for) carry positions from this server's future; start-up refuses them
 * rather than let delivery skip events silently.
 */

// A first start provisions and migrates every module, on a database of this file's own; the tests start the app again
// on it.
const first = useApp();
const database = {
  get url() {
    return first.databaseUrl;
  },
};

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

it('starts again on its own positions', async () => {
  await (await startApp({ databaseUrl: database.url })).close();
});

it('refuses a cursor ahead of this server, naming the module and the table, and starts once it is emptied', async () => {
  await admin(`update payments.seams_subscription_cursors set cursor_xid = '987654321987'`);
  await expect(startApp({ databaseUrl: database.url })).rejects.toThrow(
    /Module "payments": seams_subscription_cursors hold event positions \(transaction ids\) ahead of this server's/,
  );

  await admin('delete from payments.seams_subscription_cursors');
  await (await startApp({ databaseUrl: database.url })).close();
}, 120_000);

it('refuses outbox rows from another server', async () => {
  await admin(`insert into catalog.seams_outbox (xid, id, name, version, payload) values ('987654321987', gen_random_uuid(), 'catalog.ProductCreated', 1, '{}')`);
  await expect(startApp({ databaseUrl: database.url })).rejects.toThrow(/Module "catalog": seams_outbox hold event positions/);
  await admin('delete from catalog.seams_outbox');
}, 120_000);
