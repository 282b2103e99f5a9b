import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureDatabase } from '#platform/db/ensure-database.ts';
import { dropTestDatabase, testDatabaseName } from '../support/test-database.ts';
import { acceptsConnections, adminHeaders, eventually, killLeftovers, startSeams, TEST_JWT_SECRET, within } from './seams-process.ts';

/**
 * The app, started as `npm start` starts it, on a PostgreSQL server given by DATABASE_URL (with which JWT_SECRET is
 * required): a fresh database on the server this test run uses (DATABASE_URL's when set, else the embedded test
 * server), so the process provisions and migrates from nothing.
 */

let serverUrl: string;
let database: string;
let databaseUrl: string;

beforeAll(async () => {
  serverUrl = inject('serverUrl');
  database = `${testDatabaseName()}_process`;
  databaseUrl = await ensureDatabase(serverUrl, database);
});
afterEach(killLeftovers);
afterAll(async () => {
  await killLeftovers();
  await dropTestDatabase(serverUrl, database);
});

const newProduct = () => ({ sku: `PROC-${randomUUID().slice(0, 8)}`, name: 'Process mug', priceCents: 990, currency: 'EUR' });

describe('npm start with DATABASE_URL', { timeout: 240_000 }, () => {
  it('says where it listens, is live and ready, and creates and reads a product over HTTP', async () => {
    const seams = await startSeams({ DATABASE_URL: databaseUrl, JWT_SECRET: TEST_JWT_SECRET });

    expect(seams.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const listening = seams.lines.find((line) => line.url === seams.url);
    expect(listening?.msg).toBe(`Seams is listening on ${seams.url} (API docs: ${seams.url}/docs, console: ${seams.url}/console/)`);
    expect(listening?.console).toBe(`${seams.url}/console/`);
    // With DATABASE_URL there is no sign-in link, and no code the sign-in route would take.
    expect(seams.output.stderr).not.toContain('#code=');
    const signIn = await fetch(`${seams.url}/admin/console/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'anything' }) });
    expect(signIn.status).toBe(401);
    expect(signIn.headers.get('content-type')).toContain('application/problem+json');

    const live = await fetch(`${seams.url}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${seams.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });

    const body = newProduct();
    const created = await fetch(`${seams.url}/catalog/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...adminHeaders() },
      body: JSON.stringify(body),
    });
    expect(created.status).toBe(201);
    const product = (await created.json()) as { id: string };
    expect(created.headers.get('location')).toBe(`/catalog/products/${product.id}`);

    const read = await fetch(`${seams.url}${created.headers.get('location')}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ ...body, id: product.id });

    const docs = await fetch(`${seams.url}/docs/json`);
    expect(docs.status).toBe(200);
    expect(Object.keys(((await docs.json()) as { paths: object }).paths)).toContain('/catalog/products/{id}');

    seams.child.kill('SIGTERM');
    expect((await within(10_000, seams.exited, 'exit after SIGTERM')).code).toBe(0);
  });

  it('on SIGTERM stops accepting connections, finishes the request in flight, and exits 0 within 10 s', async () => {
    const seams = await startSeams({ DATABASE_URL: databaseUrl, JWT_SECRET: TEST_JWT_SECRET });
    const idle = await openIdleKeepAliveConnection(seams.port);
    const idleClosed = once(idle, 'close');
    idleClosed.catch(() => undefined);

    // A request whose body arrives slowly: in flight from its headers until the last byte of its body.
    const body = JSON.stringify(newProduct());
    const requestId = randomUUID();
    const slow = connect(seams.port, '127.0.0.1');
    await once(slow, 'connect');
    const slowClosed = once(slow, 'close');
    slowClosed.catch(() => undefined); // awaited below, like the response
    const response = readResponse(slow);
    response.catch(() => undefined); // awaited below; a failure before then must not be an unhandled rejection
    slow.write(
      `POST /catalog/products HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: ${adminHeaders().authorization}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\n\r\n${body.slice(0, 10)}`,
    );
    await seams.waitForLine((line) => line.reqId === requestId && line.msg === 'incoming request');

    seams.child.kill('SIGTERM');
    const signalled = Date.now();
    await seams.waitForLine((line) => line.msg === 'shutting down' && line.signal === 'SIGTERM');

    await eventually(async () => !(await acceptsConnections(seams.port)), 3_000, 'new connections refused');
    // An idle keep-alive connection is closed rather than waited for.
    await within(3_000, idleClosed, 'idle keep-alive connection closed');
    // The in-flight request is still waited for, for as long as it takes (here: a second), up to the shutdown timeout.
    await sleep(1_000);
    expect(seams.child.exitCode).toBeNull();
    // The rest of the body; the client keeps its side open (a half-close would let the server drop the request).
    slow.write(body.slice(10));

    const { status, headers, text } = await within(5_000, response, 'response to the in-flight request');
    const answered = Date.now();
    expect(status, text).toBe(201);
    // Served while shutting down: the server closes this keep-alive connection after the response instead of waiting
    // for the client to close it (which would hold the shutdown until SHUTDOWN_TIMEOUT_MS and skip closing the pools).
    expect(headers.connection).toBe('close');
    await within(3_000, slowClosed, 'server closes the connection after its last response');
    const product = JSON.parse(text) as { id: string; sku: string };
    const exit = await within(10_000, seams.exited, 'exit after SIGTERM');
    expect(exit.code).toBe(0);
    expect(exit.at - signalled).toBeLessThan(10_000);
    // Promptly after its last request, not at SHUTDOWN_TIMEOUT_MS (8 s).
    expect(exit.at - answered).toBeLessThan(5_000);
    expect(seams.lines.at(-1)?.msg).toBe('stopped');
    // The request's transaction committed: the pools were closed after it, not under it.
    expect(await productSkus(product.id)).toEqual([product.sku]);
  });
});

async function openIdleKeepAliveConnection(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const response = readResponse(socket);
  response.catch(() => undefined);
  socket.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
  expect((await response).status).toBe(200);
  socket.on('error', () => undefined);
  return socket;
}

/** One HTTP/1.1 response read off a raw socket (Content-Length bodies only, as the app sends JSON). */
function readResponse(socket: Socket): Promise<{ status: number; headers: Record<string, string>; text: string }> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) return;
      const [statusLine, ...headerLines] = received.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(
        headerLines.map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      const length = Number(headers['content-length'] ?? 0);
      if (received.length < end + 4 + length) return;
      socket.off('data', onData);
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, text: received.subarray(end + 4, end + 4 + length).toString('utf8') });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`connection closed before a full response:\n${received.toString('latin1')}`)));
  });
}

async function productSkus(id: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<{ sku: string }>('select sku from catalog.products where id = $1', [id])).rows.map((row) => row.sku);
  } finally {
    await client.end();
  }
}
