import { expect, it } from 'vitest';
import { sql } from 'kysely';
import { useApp } from '#testing';
import { probeSystem } from '../support/probe-modules.ts';
import { modules } from '../../src/modules.ts';

const catalogModule = modules.find((module) => module.name === 'catalog')!;

// Catalog next to probe modules: the probe subscriber has a table catalog must not see, and vice versa.
const probes = probeSystem('own', 1);
const app = useApp({ modules: [...probes.modules, catalogModule] });

const dbOf = (module: string) => app.module(module).db<unknown>();
const sink = probes.subscribers[0]!.replaceAll('-', '_');

it("denies catalog's connection any read of another module's table", async () => {
  await expect(sql`select * from ${sql.raw(`"${sink}".effects`)}`.execute(dbOf('catalog'))).rejects.toThrow(/permission denied/);
});

it("denies catalog's connection any write into another module's table", async () => {
  await expect(
    sql`insert into ${sql.raw(`"${sink}".effects`)} (event_id, n, key, attempt) values (gen_random_uuid(), 1, 'x', 1)`.execute(dbOf('catalog')),
  ).rejects.toThrow(/permission denied/);
});

it("denies another module's connection any read of catalog's products", async () => {
  await expect(sql`select * from catalog.products`.execute(dbOf(probes.subscribers[0]!))).rejects.toThrow(/permission denied/);
});

it("lets a subscriber read its producer's outbox and nothing else of the producer's schema", async () => {
  const producer = probes.producer.replaceAll('-', '_');
  await expect(sql`select count(*) from ${sql.raw(`"${producer}".seams_outbox`)}`.execute(dbOf(probes.subscribers[0]!))).resolves.toBeDefined();
  await expect(sql`select * from ${sql.raw(`"${producer}".seams_inbox`)}`.execute(dbOf(probes.subscribers[0]!))).rejects.toThrow(/permission denied/);
  await expect(sql`delete from ${sql.raw(`"${producer}".seams_outbox`)}`.execute(dbOf(probes.subscribers[0]!))).rejects.toThrow(/permission denied/);
});

it('runs every statement of a module under its own role', async () => {
  const { rows } = await sql<{ role: string }>`select current_user as role`.execute(dbOf('catalog'));
  expect(rows[0]!.role).toMatch(/_catalog$/);
});
