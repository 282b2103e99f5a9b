import pg from 'pg';
import { STARTUP_CONNECT_TIMEOUT_MS } from './database-availability.ts';
import type { Logger } from 'pino';
import { roleName, schemaName } from './database-names.ts';

/** Serialises provisioning across processes and parallel test files: concurrent CREATE ROLE calls race. */
const PROVISION_LOCK = 0x5ea45001;

export interface ProvisionedModule {
  readonly module: string;
  readonly schema: string;
  readonly role: string;
}

/**
 * Gives each module its schema and its role, idempotently. The role owns the schema and is granted nothing else, so
 * any statement a module's connection runs against another module's schema fails with "permission denied". The
 * connecting user is made a member of each role so its pools may take that role.
 */
export async function provisionModules(adminUrl: string, modules: readonly string[], logger: Logger): Promise<ProvisionedModule[]> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: STARTUP_CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock($1)', [PROVISION_LOCK]);
    const { rows } = await client.query<{ database: string; user: string }>('select current_database() as database, current_user as user');
    const { database, user } = rows[0]!;
    // Nothing may create objects in public; every module writes into its own schema only.
    await client.query('revoke create on schema public from public');
    const provisioned: ProvisionedModule[] = [];
    for (const module of modules) {
      const role = roleName(database, module);
      const schema = schemaName(module);
      const exists = await client.query('select 1 from pg_roles where rolname = $1', [role]);
      if (exists.rowCount === 0) {
        await client.query(`create role ${ident(role)} nologin noinherit`);
        logger.info({ module, role }, 'created module role');
      }
      await client.query(`grant ${ident(role)} to ${ident(user)}`);
      await client.query(`create schema if not exists ${ident(schema)} authorization ${ident(role)}`);
      await client.query(`alter schema ${ident(schema)} owner to ${ident(role)}`);
      await client.query(`revoke all on schema ${ident(schema)} from public`);
      provisioned.push({ module, schema, role });
    }
    await client.query('commit');
    return provisioned;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Lets a subscriber's role read one producer's outbox, and nothing else of the producer's schema: the only grant a
 * module ever holds outside its own schema, derived from the subscriptions in its manifest.
 */
export async function grantOutboxReads(adminUrl: string, grants: ReadonlyArray<{ subscriberRole: string; producerSchema: string }>): Promise<void> {
  if (grants.length === 0) return;
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: STARTUP_CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock($1)', [PROVISION_LOCK]);
    for (const { subscriberRole, producerSchema } of grants) {
      await client.query(`grant usage on schema ${ident(producerSchema)} to ${ident(subscriberRole)}`);
      await client.query(`grant select on ${ident(producerSchema)}.seams_outbox to ${ident(subscriberRole)}`);
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
