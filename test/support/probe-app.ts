import { beforeAll } from 'vitest';
import { useApp } from '#testing';
import type { ProbeSystem } from './probe-modules.ts';
import { ProbeView } from './probe-views.ts';

export type Ping = { n: number; key: string; note?: string };

/**
 * An app of the probe modules for the tests of a file or a describe block (the harness's `useApp`), with what
 * event-bus tests use of it: `publish` as the producer, and a view of each subscriber's tables.
 */
export function useProbeApp(probes: ProbeSystem, env: Readonly<Record<string, string>> = {}) {
  const app = useApp({ modules: probes.modules, migrationsDir: probes.migrationsDir, env });
  // Filled once the app is built: the tests hold this very array.
  const sinks: ProbeView[] = [];
  beforeAll(() => {
    sinks.push(...probes.subscribers.map((name) => new ProbeView(app.module(name).db())));
  });
  /** Publishes `pings` in one transaction; returns their ids. */
  const publish = (...pings: Ping[]): Promise<string[]> => {
    const producer = app.module(probes.producer);
    return producer
      .db()
      .transaction()
      .execute(async (trx) => {
        const ids: string[] = [];
        for (const ping of pings) ids.push(await producer.events.publish(trx, probes.Pinged, ping));
        return ids;
      });
  };
  return { app, publish, sinks };
}
