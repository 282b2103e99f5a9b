import Type from 'typebox';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticated } from './auth.ts';
import { AggregatedHistograms } from '../telemetry/aggregated-histograms.ts';
import { createHttpServer } from './http-server.ts';
import type { ModuleRouter } from './module-router.ts';

/** The platform's own error answers, in words a client can act on: each is problem+json with a stable code. */

let app: ModuleRouter;
beforeAll(async () => {
  app = await createHttpServer({ logger: pino({ level: 'silent' }), auth: { secret: 'error-answers-test-secret-of-32-chars!', maxAgeSeconds: 86_400, clockToleranceSeconds: 5, jwksCooldownMs: 30_000, rolesClaim: 'roles' },
    histograms: new AggregatedHistograms() });
  const params = Type.Object({ id: Type.String({ format: 'uuid' }) });
  const query = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1 })) });
  const body = Type.Object({ name: Type.String({ minLength: 1 }) }, { additionalProperties: false });
  app.get('/things/:id', { schema: { params } }, async () => ({ ok: true }));
  app.put('/things/:id', { schema: { params, body } }, async () => ({ ok: true }));
  app.get('/things', { schema: { querystring: query } }, async () => ({ ok: true }));
  app.post('/things', { schema: { body }, onRequest: authenticated }, async () => ({ ok: true }));
  await app.ready();
});
afterAll(async () => {
  await app.close();
});

describe('a known path asked with a method it does not take', () => {
  it('answers 405 with an Allow header naming the methods it takes, not 404', async () => {
    const response = await app.inject({ method: 'DELETE', url: '/things/6f0c2a6e-0000-4000-8000-000000000000?x=1' });

    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD, PUT');
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status: 405, title: 'Method Not Allowed', code: 'METHOD_NOT_ALLOWED', detail: '/things/6f0c2a6e-0000-4000-8000-000000000000 does not take DELETE; it takes GET, HEAD, PUT' });
  });

  it('still answers 404 for a path no route has', async () => {
    const response = await app.inject({ method: 'GET', url: '/nothing-here' });

    expect(response.statusCode).toBe(404);
    expect(response.headers.allow).toBeUndefined();
    expect(response.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });
});

describe('validation failures', () => {
  it.each([
    ['path parameters', { method: 'GET' as const, url: '/things/not-a-uuid' }, 'The path parameters are invalid', 'params.id'],
    ['query string', { method: 'GET' as const, url: '/things?limit=0' }, 'The query string is invalid', 'querystring.limit'],
    ['body', { method: 'PUT' as const, url: '/things/6f0c2a6e-0000-4000-8000-000000000000', payload: { name: '' } }, 'The request body is invalid', 'body.name'],
  ])('a bad %s: says which part of the request, in good English, and the field', async (_part, request, detail, field) => {
    const response = await app.inject(request);

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED', detail, errors: [expect.objectContaining({ field })] });
  });
});

describe('a body that is not JSON', () => {
  it('answers 415, naming the content type sent and asking for application/json', async () => {
    const response = await app.inject({ method: 'PUT', url: '/things/6f0c2a6e-0000-4000-8000-000000000000', headers: { 'content-type': 'text/plain' }, payload: 'hello' });

    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: 'The content type text/plain is not accepted: send the body as JSON, with the header content-type: application/json',
    });
  });
});

describe('bearer tokens', () => {
  it('an expired token: 401 that says it expired, and when', async () => {
    // Issued two minutes ago, valid for one.
    const issuedAt = Math.floor(Date.now() / 1000) - 120;
    const token = app.jwt.sign({ sub: 'someone', roles: [] }, { clockTimestamp: issuedAt * 1000, expiresIn: 60 });
    const expiredAt = issuedAt + 60;

    const response = await app.inject({ method: 'POST', url: '/things', headers: { authorization: `Bearer ${token}` }, payload: { name: 'x' } });

    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'TOKEN_EXPIRED', detail: `The bearer token expired at ${new Date(expiredAt * 1000).toISOString()}; get a new token and send that` });
  });

  it('a forged token: 401 UNAUTHENTICATED, saying why', async () => {
    const response = await app.inject({ method: 'POST', url: '/things', headers: { authorization: 'Bearer not.a.token' }, payload: { name: 'x' } });

    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'malformed', detail: 'The bearer token was refused: it is not a well-formed signed JWT' });
  });
});
