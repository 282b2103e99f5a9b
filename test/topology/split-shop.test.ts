import { createHash } from 'node:crypto';
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../process/seams-process.ts';
import { contention } from '../support/contention-suite.ts';
import { natsForTests, OwnNatsServer } from '../support/nats-server.ts';
import { deleteStream } from '../support/nats-apps.ts';
import { orderFlows } from '../support/order-flows-suite.ts';
import { shop } from '../support/shop.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.ts';
import { startSplitTopology, type SplitTopology } from '../support/split-topology.ts';
import { isolatedDatabase, tokens } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * The shop's end-to-end scenarios again, with payments and inventory each in a process of its own and the rest in a
 * third: three real processes from this checkout, a real NATS JetStream server, real PostgreSQL (payments on a
 * database of its own). The scenarios are the very ones the one-process run uses (test/support/*-suite.ts), so the
 * split must end every order the same way. Only the environment differs between the two runs.
 */

const nats = await natsForTests({ own: true });
const EXTRACTED = ['payments', 'inventory'];

describe.skipIf(nats.skipped !== undefined)(`split topology${nats.skipped ? ` (skipped: ${nats.skipped})` : ''}`, () => {
  let topology: SplitTopology;
  let otlp: OtlpReceiver;
  let before: string;
  let databases: Array<{ url: string; drop: () => Promise<void> }> = [];

  beforeAll(async () => {
    before = await fingerprint(EXTRACTED);
    if (!(nats instanceof OwnNatsServer)) {
      // The shared server keeps streams and durable consumers between runs: start from none, as on a fresh server.
      await Promise.all(['catalog', 'inventory', 'ordering', 'payments', 'order-history'].map((producer) => deleteStream(nats.url!, producer)));
    }
    otlp = await startOtlpReceiver();
    databases = await Promise.all([isolatedDatabase(), isolatedDatabase()]);
    topology = await startSplitTopology({ natsUrl: nats.url!, otlpEndpoint: otlp.endpoint, databases: { main: databases[0]!.url, payments: databases[1]!.url } });
  }, 240_000);

  afterAll(async () => {
    const codes = await topology?.stop();
    await otlp?.close();
    await Promise.all(databases.map((database) => database.drop()));
    await nats.stop();
    if (codes) expect(codes).toEqual({ payments: 0, inventory: 0, rest: 0 });
  }, 60_000);

  it('a placed order is one trace across the three processes', async () => {
    const s = shop(topology.client);
    const { customer } = tokens(topology.client);
    const product = await s.productInStock(3);
    const placed = await s.placeOrder(customer, { lines: [{ productId: product.id, quantity: 1 }] });
    expect((await s.settled(placed.id)).status).toBe('confirmed');

    // This runs first, so the one POST /orders request so far is this order's; its trace must reach inventory's and
    // payments' handlers in their own processes.
    const services = () => {
      const spans = otlp.spans();
      const traceIds = new Set(spans.filter((span) => span.service === 'seams-rest' && span.name.includes('POST') && hasAttribute(span, '/orders')).map((span) => span.traceId));
      const [traceId] = traceIds;
      return { traceIds, traceId, services: new Set(spans.filter((span) => span.traceId === traceId).map((span) => span.service)) };
    };
    // Spans leave each process in batches, every few seconds.
    await waitFor(() => services().services.size === 3, { timeoutMs: 30_000, intervalMs: 200 }).catch(() => undefined);
    const seen = services();
    expect(seen.traceIds.size, 'traces with a POST /orders span').toBe(1);
    expect([...seen.services].sort()).toEqual(['seams-inventory', 'seams-payments', 'seams-rest']);
  }, 60_000);

  orderFlows(() => ({
    app: topology.client,
    // The payments module's own database, read as its operator would: nothing in the other processes can see it.
    async paymentsFor(orderId) {
      const client = new pg.Client({ connectionString: databases[1]!.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ status: string; amount_cents: string }>(
          'select status, amount_cents::text from payments.payments where order_id = $1',
          [orderId],
        );
        return rows;
      } finally {
        await client.end();
      }
    },
  }));

  contention(() => ({ app: topology.client }));

  it('extraction changed nothing in the extracted modules: every process ran from this checkout, and their folders are as before', async () => {
    for (const process of Object.values(topology.processes)) {
      expect(await readlink(`/proc/${process.pid}/cwd`)).toBe(path.resolve(projectRoot));
    }
    expect(await fingerprint(EXTRACTED)).toBe(before);
  });
});

function hasAttribute(span: { attributes: Array<{ value: { stringValue?: string } }> }, value: string): boolean {
  return span.attributes.some((attribute) => attribute.value.stringValue === value);
}

/** A hash of every file under modules/<name>/ and migrations/<name>/ of the given modules. */
async function fingerprint(modules: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const module of modules) {
    for (const folder of [path.join(projectRoot, 'modules', module), path.join(projectRoot, 'migrations', module)]) {
      const files = (await readdir(folder, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
      for (const file of files.map((entry) => path.join(entry.parentPath, entry.name)).sort()) {
        hash.update(path.relative(projectRoot, file)).update(await readFile(file));
      }
    }
  }
  return hash.digest('hex');
}
