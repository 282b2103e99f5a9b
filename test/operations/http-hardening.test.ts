import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startApp, useApp } from '#testing';

describe('security headers', () => {
  const app = useApp();

  it("gives the HTML docs helmet's headers and a Content-Security-Policy", async () => {
    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
    });
    expect(page.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.headers['content-security-policy']).toMatch(/object-src 'none'/);
  });

  it('sends x-content-type-options: nosniff on every answer: JSON, problem+json, unknown routes and requests refused before routing', async () => {
    const answers = await Promise.all([
      app.inject({ method: 'GET', url: '/catalog/products' }),
      app.inject({ method: 'GET', url: '/orders/not-a-uuid', headers: { authorization: 'Bearer nonsense' } }),
      app.inject({ method: 'GET', url: '/no/such/route' }),
      app.inject({ method: 'GET', url: '/health/live' }),
      app.inject({ method: 'GET', url: '/catalog/products/%zz' }),
    ]);
    for (const answer of answers) expect(answer.headers['x-content-type-options'], `${answer.statusCode} ${answer.body}`).toBe('nosniff');
    // Helmet is for the HTML pages: the API's JSON does not carry page headers such as a CSP.
    expect(answers[0]!.headers['content-security-policy']).toBeUndefined();
  });

  it('sends no CORS headers unless CORS_ORIGINS lists the origin', async () => {
    const origin = 'https://shop.example.com';
    const plain = await app.inject({ method: 'GET', url: '/catalog/products', headers: { origin } });
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await app.inject({ method: 'OPTIONS', url: '/orders', headers: { origin, 'access-control-request-method': 'POST' } });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();

    // On this file's database: the second app needs no schemas of its own.
    const cors = await startApp({ databaseUrl: app.databaseUrl, env: { CORS_ORIGINS: `${origin}, https://admin.example.com` } });
    const withCors = cors.app;
    try {
      const allowed = await withCors.inject({ method: 'GET', url: '/catalog/products', headers: { origin } });
      expect(allowed.headers['access-control-allow-origin']).toBe(origin);
      expect(String(allowed.headers['access-control-expose-headers'])).toContain('retry-after');
      const other = await withCors.inject({ method: 'GET', url: '/catalog/products', headers: { origin: 'https://evil.example' } });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      const allowedPreflight = await withCors.inject({
        method: 'OPTIONS',
        url: '/orders',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
      expect(allowedPreflight.statusCode).toBe(204);
      expect(allowedPreflight.headers['access-control-allow-origin']).toBe(origin);
      expect(String(allowedPreflight.headers['access-control-allow-methods'])).toContain('POST');
    } finally {
      await cors.close();
    }
  });
});

describe('HTTP timeouts (HTTP_REQUEST_TIMEOUT_MS, HTTP_CONNECTION_TIMEOUT_MS, HTTP_KEEP_ALIVE_TIMEOUT_MS)', () => {
  const app = useApp({ listen: true, env: { HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_CONNECTION_TIMEOUT_MS: '1500', HTTP_KEEP_ALIVE_TIMEOUT_MS: '500' } });
  const port = () => Number(new URL(app.url).port);

  it('closes the connection of a client that sends its headers a byte at a time', async () => {
    const socket = connect({ port: port(), host: '127.0.0.1' });
    const closed = closedWithin(socket, 4000);
    socket.write('GET /health/live HTTP/1.1\r\nHost: seams\r\n');
    const drip = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 200);
    const { ms, received } = await closed;
    clearInterval(drip);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(3500);
    // Node answers 408 before it closes, when it can.
    if (received) expect(received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a connection that says nothing, and an idle keep-alive connection, and serves others meanwhile', async () => {
    const silent = connect({ port: port(), host: '127.0.0.1' });
    const silentClosed = closedWithin(silent, 5000);
    const keptAlive = connect({ port: port(), host: '127.0.0.1' });
    const keptAliveClosed = closedWithin(keptAlive, 5000);
    keptAlive.write('GET /health/live HTTP/1.1\r\nHost: seams\r\nConnection: keep-alive\r\n\r\n');
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
    const keepAlive = await keptAliveClosed;
    expect(keepAlive.received).toMatch(/^HTTP\/1\.1 200/);
    expect(keepAlive.ms).toBeLessThan(3000);
    expect((await silentClosed).ms).toBeLessThan(4000);
  });
});

/** Resolves when the server closes the socket, with how long that took and what it sent; rejects after `limitMs`. */
function closedWithin(socket: Socket, limitMs: number): Promise<{ ms: number; received: string }> {
  const started = performance.now();
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for more than ${limitMs} ms`));
    }, limitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - started, received });
    });
  });
}
