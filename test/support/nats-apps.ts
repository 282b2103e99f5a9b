import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { startApp } from '#testing';
import { streamName } from '#platform/events/nats-connection.ts';
import type { ProbeSystem } from './probe-modules.ts';
import { ProbeView } from './probe-views.ts';

export const TEST_SERVICE_TOKEN = 'service-token-for-tests-at-least-32-chars';

/** A prefix no other run shares: stream and consumer names on a shared NATS server follow the module names. */
export function runPrefix(kind: string): string {
  return `${kind}${randomBytes(3).toString('hex')}`;
}

/** An app of the harness (`close()` also drops its database, unless it was given another app's). */
export type ProbeApp = Awaited<ReturnType<typeof startApp>>;

export interface ProducerApp {
  readonly app: ProbeApp;
  readonly db: Kysely<unknown>;
  publish(n: number, key: string, note?: string): Promise<string>;
}

/** An app that runs only the probe producer: its events leave over NATS. */
export async function producerApp(probes: ProbeSystem, natsUrl: string, env: Record<string, string> = {}): Promise<ProducerApp> {
  const app = await startApp({
    modules: probes.modules,
    migrationsDir: probes.migrationsDir,
    env: { MODULES: probes.producer, SERVICE_TOKEN: TEST_SERVICE_TOKEN, NATS_URL: natsUrl, ...env },
  });
  const { events } = app.module(probes.producer);
  const db = app.module(probes.producer).db();
  return {
    app,
    db,
    publish: (n, key, note) => db.transaction().execute((trx) => events.publish(trx, probes.Pinged, note === undefined ? { n, key } : { n, key, note })),
  };
}

/**
 * An app that runs probe subscribers only; the producer is remote, so its events arrive over NATS. On a database of
 * its own (the producer's is another process's), or on `databaseUrl`'s.
 */
export async function subscriberApp(
  probes: ProbeSystem,
  natsUrl: string,
  subscribers: readonly string[] = probes.subscribers,
  env: Record<string, string> = {},
  databaseUrl?: string,
): Promise<{ app: ProbeApp; sinks: ProbeView[] }> {
  const app = await startApp({
    modules: probes.modules,
    migrationsDir: probes.migrationsDir,
    env: {
      MODULES: subscribers.join(','),
      // Never called: the probe producer's contract has no methods. It only has to be somewhere.
      REMOTE_MODULES: `${probes.producer}=http://127.0.0.1:9`,
      SERVICE_TOKEN: TEST_SERVICE_TOKEN,
      NATS_URL: natsUrl,
      ...env,
    },
    ...(databaseUrl ? { databaseUrl } : {}),
  });
  return { app, sinks: subscribers.map((name) => new ProbeView(app.module(name).db())) };
}

/** Deletes the producer's stream (and with it its consumers) from a NATS server the test does not own. */
export async function deleteStream(natsUrl: string, producer: string): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(streamName(producer)).catch(() => undefined);
  } finally {
    await nc.close();
  }
}
