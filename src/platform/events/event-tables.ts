import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';

/**
 * The event bus's tables in every module's schema, owned by the module's role:
 * - `seams_outbox`: the events the module published, in (transaction id, sequence) order;
 * - `seams_subscription_cursors`: for each of its subscriptions (and partition), how far it has read a producer's outbox;
 * - `seams_inbox`: ids of events it has handled, so a redelivery is never applied twice;
 * - `seams_parked`: events that failed for one of its subscriptions, waiting for a retry, waiting behind an earlier
 *   failed event with the same key, or dead;
 * - `seams_received` (0002): events of producers in other processes, as they arrived over NATS, in the outbox's shape
 *   so a subscription can read it instead of an outbox (see docs/events.md, "Across processes");
 * - `seams_relay_cursors` (0002): how far the NATS relay has published the module's own outbox;
 * - `seams_discarded` (0004): dead letters an operator discarded, with the reason given, kept for the record.
 * - `seams_received_positions` (0005): for each subscription and partition of subjects received over NATS, the stream
 *   sequence of the last message stored in `seams_received`; the receiver reads on from there;
 * - `deliver_at` (0006): an event published with a due time (`clock.at`); a subscriber that reads it early parks it
 *   as `scheduled` until then.
 * Versioned like any migration, with a history table of their own so they never mix with the module's migrations.
 */
const migrations: Record<string, Migration> = {
  '0001_event_bus': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await sql`
        create table seams_outbox (
          seq bigint generated always as identity,
          xid xid8 not null default pg_current_xact_id(),
          id uuid not null,
          name text not null,
          version integer not null,
          key text,
          payload jsonb not null,
          trace jsonb,
          occurred_at timestamptz not null default now(),
          primary key (xid, seq)
        )`.execute(db);
      await sql`
        create table seams_subscription_cursors (
          subscription text not null,
          partition integer not null,
          producer text not null,
          cursor_xid xid8 not null default '0',
          cursor_seq bigint not null default 0,
          updated_at timestamptz not null default now(),
          primary key (subscription, partition)
        )`.execute(db);
      await sql`
        create table seams_inbox (
          subscription text not null,
          event_id uuid not null,
          -- The event's position in its producer's outbox: retention keeps an inbox row while the event could be read again.
          event_xid xid8,
          event_seq bigint,
          handled_at timestamptz not null default now(),
          primary key (subscription, event_id)
        )`.execute(db);
      await sql`
        create table seams_parked (
          id bigint generated always as identity primary key,
          subscription text not null,
          partition integer not null,
          event_id uuid not null,
          name text not null,
          version integer not null,
          key text,
          payload jsonb not null,
          trace jsonb,
          occurred_at timestamptz not null,
          xid xid8 not null,
          seq bigint not null,
          status text not null check (status in ('retrying', 'waiting', 'dead')),
          attempts integer not null default 0,
          last_error text,
          next_attempt_at timestamptz,
          parked_at timestamptz not null default now(),
          updated_at timestamptz not null default now(),
          unique (subscription, event_id)
        )`.execute(db);
      await sql`create index seams_parked_by_key on seams_parked (subscription, partition, key, xid, seq)`.execute(db);
      await sql`create index seams_inbox_by_age on seams_inbox (handled_at)`.execute(db);
    },
  },
  '0002_nats_transport': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      // xid and seq are the receiving transaction's, so the subscription worker's visibility rule and cursor work on
      // this table exactly as on an outbox. The event id is unique: a message NATS delivers twice is stored once.
      await sql`
        create table seams_received (
          seq bigint generated always as identity,
          xid xid8 not null default pg_current_xact_id(),
          id uuid not null unique,
          producer text not null,
          name text not null,
          version integer not null,
          key text,
          payload jsonb not null,
          trace jsonb,
          occurred_at timestamptz not null,
          received_at timestamptz not null default now(),
          primary key (xid, seq)
        )`.execute(db);
      await sql`
        create table seams_relay_cursors (
          relay text primary key,
          cursor_xid xid8 not null default '0',
          cursor_seq bigint not null default 0,
          updated_at timestamptz not null default now()
        )`.execute(db);
    },
  },
  '0003_subscription_names_without_version': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      // A subscription's default name was `<event>@v<version>`; it is now the event's name alone, so that moving a
      // subscription to another version of the event keeps its cursor, inbox and dead letters instead of starting a
      // new subscription that would handle the whole outbox again. Only names of the old default shape are renamed.
      // Over NATS the durable consumer's name follows the subscription's: the new consumer starts at the beginning of
      // the stream, and seams_received drops what it already holds (the old consumer can be deleted).
      const oldDefault = '^[a-z][a-z0-9-]*\\.[A-Z][A-Za-z0-9]*@v[0-9]+$';
      for (const table of ['seams_subscription_cursors', 'seams_inbox', 'seams_parked']) {
        await sql`update ${sql.table(table)} set subscription = regexp_replace(subscription, '@v[0-9]+$', '') where subscription ~ ${oldDefault}`.execute(db);
      }
    },
  },
  '0004_discarded_dead_letters': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      // A discarded dead letter leaves seams_parked (so the events behind it move on) but not the record: who threw it
      // away, when and why is what an operator asks afterwards.
      await sql`
        create table seams_discarded (
          id bigint primary key,
          subscription text not null,
          partition integer not null,
          event_id uuid not null,
          name text not null,
          version integer not null,
          key text,
          payload jsonb not null,
          attempts integer not null,
          last_error text,
          occurred_at timestamptz not null,
          parked_at timestamptz not null,
          discarded_at timestamptz not null default now(),
          discarded_by text not null,
          reason text not null
        )`.execute(db);
      await sql`create index seams_discarded_by_time on seams_discarded (discarded_at)`.execute(db);
      },
    },
  '0005_nats_received_positions': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      // The subscriber keeps its own place in the producer's stream, moved in the statement that stores a batch, so
      // NATS never has to redeliver in order (see nats-receiver.ts). stored_at and arrived_at say how long an event
      // spent on the way: in the stream (stored_at, the stream's clock) and waiting to be stored (arrived_at).
      await sql`
        create table seams_received_positions (
          subscription text not null,
          partition integer not null,
          stream_seq bigint not null default 0,
          updated_at timestamptz not null default now(),
          primary key (subscription, partition)
        )`.execute(db);
      await sql`alter table seams_received add column stored_at timestamptz, add column arrived_at timestamptz`.execute(db);
    },
  },
  '0006_events_due_later': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      // A deadline is an event with a due time, in the same outbox as every other event, so it commits with the
      // change that sets it and needs no queue of its own. A subscription that reads it before it is due parks it as
      // 'scheduled' with next_attempt_at = deliver_at, where the retry machinery picks it up on time.
      await sql`alter table seams_outbox add column deliver_at timestamptz`.execute(db);
      await sql`alter table seams_received add column deliver_at timestamptz`.execute(db);
      await sql`alter table seams_parked drop constraint seams_parked_status_check`.execute(db);
      await sql`alter table seams_parked add constraint seams_parked_status_check check (status in ('retrying', 'waiting', 'dead', 'scheduled'))`.execute(db);
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Creates or upgrades the event-bus tables in the schema `db` writes to (the module's, through its role). `upTo` stops
 * after the named migration: tests use it to build the tables as an older deployment left them, then upgrade them.
 */
export async function migrateEventTables(db: Kysely<unknown>, schema: string, options: { upTo?: string } = {}): Promise<void> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableSchema: schema,
    migrationTableName: 'seams_platform_migration',
    migrationLockTableName: 'seams_platform_migration_lock',
  });
  const { error } = options.upTo ? await migrator.migrateTo(options.upTo) : await migrator.migrateToLatest();
  if (error) throw new Error(`Event-bus tables in schema "${schema}" could not be migrated`, { cause: error });
}
