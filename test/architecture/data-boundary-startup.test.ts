import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ident } from '#platform/db/provision.ts';
import { databaseNameOf, roleName } from '#platform/db/database-names.ts';
import { startApp, useApp } from '#testing';

// The harness app's database of its own: the grants this file makes must not leak into the apps of other test files.
// Its first start provisions and migrates every shop module, and must pass the check.
const first = useApp();
const database = {
  get url() {
    return first.databaseUrl;
  },
};
let admin: pg.Client;
let role: (module: string) => string;

beforeAll(async () => {
  role = (module) => roleName(databaseNameOf(database.url), module);
  admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
});

/** Starts the whole shop on the test database; resolves to the start-up error, or undefined when it started. */
async function startUpError(): Promise<Error | undefined> {
  try {
    const app = await startApp({ databaseUrl: database.url });
    await app.close();
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

/** Runs `grant`, expects start-up to fail, runs `undo`, and returns the message start-up failed with. */
async function failureAfter(grant: string, undo: string): Promise<string> {
  await admin.query(grant);
  try {
    const error = await startUpError();
    expect(error, `start-up passed after: ${grant}`).toBeInstanceOf(Error);
    expect(error!.name).toBe('DataBoundaryError');
    return error!.message;
  } finally {
    await admin.query(undo);
  }
}

it('starts cleanly when every role holds exactly its schema and the outboxes it subscribes to', async () => {
  expect(await startUpError()).toBeUndefined();
});

describe('start-up fails, naming module, role, object, privilege and the fix, when a module role', () => {
  it("can read another module's table", async () => {
    const message = await failureAfter(`grant select on ordering.orders to ${ident(role('catalog'))}`, `revoke select on ordering.orders from ${ident(role('catalog'))}`);
    expect(message).toContain(`module "catalog" (role "${role('catalog')}"): holds SELECT on table ordering.orders, outside its schema`);
    expect(message).toContain(`fix: REVOKE SELECT ON TABLE ordering.orders FROM "${role('catalog')}";`);
  });

  it("can write one column of another module's table", async () => {
    const message = await failureAfter(
      `grant update (status) on ordering.orders to ${ident(role('payments'))}`,
      `revoke update (status) on ordering.orders from ${ident(role('payments'))}`,
    );
    expect(message).toContain(`module "payments" (role "${role('payments')}"): holds UPDATE on table column ordering.orders.status`);
    expect(message).toContain(`fix: REVOKE UPDATE (status) ON TABLE ordering.orders FROM "${role('payments')}";`);
  });

  it('is a member of another module role', async () => {
    const message = await failureAfter(`grant ${ident(role('ordering'))} to ${ident(role('catalog'))}`, `revoke ${ident(role('ordering'))} from ${ident(role('catalog'))}`);
    expect(message).toContain(`module "catalog" (role "${role('catalog')}"): is a member of role "${role('ordering')}"`);
    expect(message).toContain(`fix: REVOKE "${role('ordering')}" FROM "${role('catalog')}";`);
  });

  it('may create roles', async () => {
    const message = await failureAfter(`alter role ${ident(role('inventory'))} createrole`, `alter role ${ident(role('inventory'))} nocreaterole`);
    expect(message).toContain(`module "inventory" (role "${role('inventory')}"): has the attribute CREATEROLE`);
    expect(message).toContain(`fix: ALTER ROLE "${role('inventory')}" NOCREATEROLE;`);
  });

  it('may create schemas in the database', async () => {
    const db = ident(databaseNameOf(database.url));
    const message = await failureAfter(`grant create on database ${db} to ${ident(role('catalog'))}`, `revoke create on database ${db} from ${ident(role('catalog'))}`);
    expect(message).toContain(`holds CREATE on database ${databaseNameOf(database.url)}, outside its schema`);
  });

  it('still reads the outbox of a module it no longer subscribes to (catalog subscribes to nothing)', async () => {
    const message = await failureAfter(`grant select on ordering.seams_outbox to ${ident(role('catalog'))}`, `revoke select on ordering.seams_outbox from ${ident(role('catalog'))}`);
    expect(message).toContain(`module "catalog" (role "${role('catalog')}"): holds SELECT on table ordering.seams_outbox, outside its schema`);
    expect(message).toContain('was a subscription removed from its manifest?');
    expect(message).toContain(`fix: REVOKE SELECT ON TABLE ordering.seams_outbox FROM "${role('catalog')}";`);
  });

  it('has a table of its schema opened to PUBLIC', async () => {
    const message = await failureAfter('grant select on catalog.products to public', 'revoke select on catalog.products from public');
    expect(message).toContain('module "catalog"');
    expect(message).toContain('table catalog.products in its schema grants SELECT to PUBLIC');
    expect(message).toContain('fix: REVOKE SELECT ON TABLE catalog.products FROM PUBLIC;');
  });

  it('does not own a table in its own schema', async () => {
    const message = await failureAfter('create table payments.sneaked_in (id int)', 'drop table payments.sneaked_in');
    expect(message).toContain(`module "payments" (role "${role('payments')}"): does not own table payments.sneaked_in in its own schema`);
    expect(message).toContain(`fix: ALTER TABLE payments.sneaked_in OWNER TO "${role('payments')}";`);
  });

  it('owns a table outside its schema', async () => {
    const message = await failureAfter(
      `create table public.stray (id int); alter table public.stray owner to ${ident(role('ordering'))}`,
      'drop table public.stray',
    );
    expect(message).toContain(`module "ordering" (role "${role('ordering')}"): owns table public.stray, outside its schema`);
  });
});

it('starts cleanly again once every extra grant is revoked', async () => {
  expect(await startUpError()).toBeUndefined();
});
