import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { roleName, withDatabase } from '../db/database-names.ts';
import { ensureDatabase } from '../db/ensure-database.ts';
import { ident, provisionModules } from '../db/provision.ts';
import { createLogger } from '../logger.ts';

const PREFIX = 'seams_test_';
/** Databases of runs that died without cleaning up are dropped by a later run once they are this old. */
const STALE_AFTER_MS = 6 * 60 * 60 * 1000;

/** A database name unique to this run, carrying its creation time so later runs can tell stale ones. */
export function testDatabaseName(): string {
  return `${PREFIX}${Date.now()}_${randomBytes(3).toString('hex')}`;
}

/** Drops a test database and the module roles named after it, leaving the server as it was before the run. */
export async function dropTestDatabase(serverUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${ident(database)} with (force)`);
    const roles = await client.query<{ rolname: string }>("select rolname from pg_roles where rolname like $1 || '\\_%'", [database]);
    for (const { rolname } of roles.rows) await client.query(`drop role if exists ${ident(rolname)}`);
  } finally {
    await client.end();
  }
}

/** Best effort: a killed run leaves its database behind; don't let them pile up on a long-lived server. */
export async function dropStaleTestDatabases(serverUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  let stale: string[];
  try {
    const { rows } = await client.query<{ datname: string }>("select datname from pg_database where datname like 'seams\\_test\\_%'");
    stale = rows
      .map((row) => row.datname)
      .filter((name) => Date.now() - Number(name.slice(PREFIX.length).split('_')[0]) > STALE_AFTER_MS);
  } finally {
    await client.end();
  }
  for (const name of stale) await dropTestDatabase(serverUrl, name).catch(() => undefined);
}

/** Creates a database of its own for one harness app and returns its URL and how to drop it (with its roles). */
export async function freshDatabase(serverUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = testDatabaseName();
  const url = await ensureDatabase(serverUrl, name);
  return { url, drop: () => dropTestDatabase(serverUrl, name) };
}

/** A migrated database that fresh ones are copied from, and the modules whose schemas it holds. */
export interface TemplateDatabase {
  readonly database: string;
  readonly modules: readonly string[];
}

/**
 * A fresh database copied from a migrated template (CREATE DATABASE … TEMPLATE), instead of an empty one that the app
 * then migrates. Module roles carry the database's name, so each module's role of the copy is made (as the app's
 * start would make it) and given everything the template's role owns there; the template's role keeps nothing in the
 * copy (its outbox grants go; the app's start grants them again to the copy's roles and checks the boundaries).
 */
export async function databaseFromTemplate(serverUrl: string, template: TemplateDatabase): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = testDatabaseName();
  const drop = () => dropTestDatabase(serverUrl, name);
  const server = new pg.Client({ connectionString: serverUrl });
  await server.connect();
  try {
    await server.query(`create database ${ident(name)} template ${ident(template.database)}`);
  } finally {
    await server.end();
  }
  const url = withDatabase(serverUrl, name);
  try {
    await provisionModules(url, template.modules, createLogger('silent'));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const module of template.modules) {
        const [from, to] = [roleName(template.database, module), roleName(name, module)];
        await client.query(`reassign owned by ${ident(from)} to ${ident(to)}`);
        await client.query(`drop owned by ${ident(from)}`);
      }
    } finally {
      await client.end();
    }
  } catch (error) {
    await drop();
    throw error;
  }
  return { url, drop };
}
