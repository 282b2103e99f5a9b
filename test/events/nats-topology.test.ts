import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '#platform/config.ts';
import { planEventTopology } from '#platform/events/event-topology.ts';
import { startApp } from '#testing';
import { probeSystem } from '../support/probe-modules.ts';
import { runPrefix, TEST_SERVICE_TOKEN } from '../support/nats-apps.ts';

describe('the event topology', () => {
  const probes = probeSystem(runPrefix('natsp'), 2);
  const [sink1, sink2] = probes.subscribers as [string, string];

  it('has no relay and no receiver when everything runs in one process', () => {
    const topology = planEventTopology({ modules: probes.modules, local: probes.modules.map((m) => m.name), natsUrl: undefined });
    expect(topology.relays).toEqual([]);
    expect(topology.receivers).toEqual([]);
  });

  it('relays a producer\'s events for subscribers elsewhere, and receives for local subscribers of a producer elsewhere', () => {
    const here = planEventTopology({ modules: probes.modules, local: [probes.producer, sink1], natsUrl: 'nats://127.0.0.1:4222' });
    expect(here.relays).toEqual([{ producer: probes.producer, events: [`${probes.Pinged.name}@1`] }]);
    expect(here.receivers).toEqual([]);
    const there = planEventTopology({ modules: probes.modules, local: [sink2], natsUrl: 'nats://127.0.0.1:4222' });
    expect(there.relays).toEqual([]);
    expect(there.receivers).toEqual([{ module: sink2, subscription: probes.Pinged.name, producer: probes.producer, event: probes.Pinged.name, version: 1 }]);
    expect(there.receives(sink2, probes.Pinged.name)).toBe(true);
    expect(here.receives(sink1, probes.Pinged.name)).toBe(false);
  });

  it('fails start-up without NATS_URL when events cross, naming them', async () => {
    expect(() => planEventTopology({ modules: probes.modules, local: [sink2], natsUrl: undefined })).toThrow(ConfigError);
    await expect(
      startApp({ modules: probes.modules, migrationsDir: probes.migrationsDir, env: { MODULES: probes.producer, SERVICE_TOKEN: TEST_SERVICE_TOKEN } }),
    ).rejects.toThrow(new RegExp(`NATS_URL is not set, but events cross processes: ${probes.Pinged.name}@1 from "${probes.producer}" \\(here\\) to "${sink1}"`));
  });
});

describe('a system with no remote modules', () => {
  const probes = probeSystem(runPrefix('natsn'), 1);
  /** A TCP listener in NATS_URL's place that counts who connects to it. */
  let listener: net.Server;
  let connections = 0;
  let url: string;

  beforeAll(async () => {
    listener = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    url = `nats://127.0.0.1:${(listener.address() as net.AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => listener.close(resolve));
  });

  it('never connects to NATS, even with NATS_URL set', async () => {
    const app = await startApp({ modules: probes.modules, migrationsDir: probes.migrationsDir, env: { NATS_URL: url } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await app.close();
    expect(connections).toBe(0);

    // The same listener does see a process whose events cross: the count above could have been more than zero.
    const producerOnly = await startApp({
      modules: probes.modules,
      migrationsDir: probes.migrationsDir,
      env: { MODULES: probes.producer, SERVICE_TOKEN: TEST_SERVICE_TOKEN, NATS_URL: url },
    });
    const deadline = Date.now() + 5000;
    while (connections === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await producerOnly.close();
    expect(connections).toBeGreaterThan(0);
  });
});
