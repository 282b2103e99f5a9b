import { createServer } from 'node:net';
import { httpShopClient, type ShopClient } from './shop-client.ts';
import { startSeams, type RunningSeams } from '../process/seams-process.ts';

/**
 * The shop split across three real processes on 127.0.0.1, each started as `npm start` starts one, from this same
 * checkout, configured by environment only:
 * - payments, on a database of its own (DATABASE_URL_PAYMENTS);
 * - inventory;
 * - catalog, ordering and order-history, the rest.
 * Calls between them go over HTTP (REMOTE_MODULES), events over NATS JetStream (NATS_URL). A reverse proxy in front
 * sends /inventory to the inventory process and everything else to the third.
 */
export interface SplitTopology {
  /** The shop through its public HTTP API, as a user behind the proxy reaches it. */
  readonly client: ShopClient;
  readonly processes: { readonly payments: RunningSeams; readonly inventory: RunningSeams; readonly rest: RunningSeams };
  /** SIGTERM to every process and waits for each to exit. Returns the exit codes. */
  stop(): Promise<Record<'payments' | 'inventory' | 'rest', number | null>>;
}

export const SPLIT_JWT_SECRET = 'split-topology-jwt-secret-of-at-least-32-chars';
const SERVICE_TOKEN = 'split-topology-service-token-of-32-chars-or-more';

export interface SplitTopologyOptions {
  readonly natsUrl: string;
  /** Empty databases: `main` for everything but payments, `payments` for payments alone. */
  readonly databases: { readonly main: string; readonly payments: string };
  /** Each process exports its spans there, as service `seams-<group>`. */
  readonly otlpEndpoint?: string;
  /** Extra settings for every process. */
  readonly env?: Record<string, string>;
}

export async function startSplitTopology(options: SplitTopologyOptions): Promise<SplitTopology> {
  const { main, payments } = options.databases;
  const [paymentsPort, inventoryPort, restPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const at = (port: number) => `http://127.0.0.1:${port}`;
  const common = (group: string): Record<string, string> => ({
    DATABASE_URL: main,
    JWT_SECRET: SPLIT_JWT_SECRET,
    SERVICE_TOKEN,
    NATS_URL: options.natsUrl,
    EVENTS_RETRY_BASE_MS: '50',
    // Three processes beside another test file, on a server that may allow only 100 connections in all.
    DB_POOL_MAX: '3',
    // The tests poll one order with one admin token every few ms, far past a person's rate: no limit here (its own
    // tests are in test/operations/rate-limit.test.ts).
    RATE_LIMIT_PER_MINUTE: '0',
    ...(options.otlpEndpoint ? { OTEL_EXPORTER_OTLP_ENDPOINT: options.otlpEndpoint, OTEL_SERVICE_NAME: `seams-${group}` } : { OTEL_SDK_DISABLED: 'true' }),
    ...options.env,
  });

  const started = await Promise.allSettled([
    startSeams({
      ...common('payments'),
      MODULES: 'payments',
      PORT: String(paymentsPort),
      DATABASE_URL_PAYMENTS: payments,
      REMOTE_MODULES: `ordering=${at(restPort)}`,
    }),
    startSeams({ ...common('inventory'), MODULES: 'inventory', PORT: String(inventoryPort), REMOTE_MODULES: `ordering=${at(restPort)}` }),
    startSeams({
      ...common('rest'),
      MODULES: 'catalog,ordering,order-history',
      PORT: String(restPort),
      REMOTE_MODULES: `inventory=${at(inventoryPort)},payments=${at(paymentsPort)}`,
    }),
  ]);
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((result) => (result.status === 'fulfilled' ? stopProcess(result.value) : undefined)));
    throw failed.reason;
  }
  const [paymentsProcess, inventoryProcess, restProcess] = started.map((result) => (result as PromiseFulfilledResult<RunningSeams>).value) as [
    RunningSeams,
    RunningSeams,
    RunningSeams,
  ];

  return {
    client: httpShopClient({ jwtSecret: SPLIT_JWT_SECRET, route: (path) => (path.startsWith('/inventory') ? inventoryProcess.url : restProcess.url) }),
    processes: { payments: paymentsProcess, inventory: inventoryProcess, rest: restProcess },
    async stop() {
      const [p, i, r] = await Promise.all([stopProcess(paymentsProcess), stopProcess(inventoryProcess), stopProcess(restProcess)]);
      return { payments: p, inventory: i, rest: r };
    },
  };
}

async function stopProcess(seams: RunningSeams): Promise<number | null> {
  if (seams.child.exitCode === null && seams.child.signalCode === null) seams.child.kill('SIGTERM');
  return (await seams.exited).code;
}

/** A port nobody listens on right now; the processes need each other's addresses before any of them starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
