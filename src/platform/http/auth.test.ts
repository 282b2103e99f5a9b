import { setTimeout as sleep } from 'node:timers/promises';
import fastify from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { authenticated, callerOf, installAuth } from './auth.ts';
import { installErrorHandling } from './error-handler.ts';
import type { ModuleRouter } from './module-router.ts';

const SECRET = 'auth-test-secret-that-is-at-least-32-characters';
let app: ModuleRouter;
beforeAll(async () => {
  app = fastify() as unknown as ModuleRouter;
  installErrorHandling(app);
  // A second of clock tolerance: the test waits only just over a second past a token's expiry.
  await installAuth(app, { secret: SECRET, maxAgeSeconds: 86_400, clockToleranceSeconds: 1, jwksCooldownMs: 30_000, rolesClaim: 'roles' });
  app.get('/me', { onRequest: authenticated }, async (request) => ({ id: callerOf(request).id }));
  await app.ready();
});
afterAll(() => app.close());

const get = (token: string) => app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } });

it('remembers a verified token, but never past its expiry', async () => {
  const token = app.jwt.sign({ sub: 'c-1', roles: [] }, { expiresIn: 1 });
  expect((await get(token)).json()).toEqual({ id: 'c-1' });
  expect((await get(token)).json()).toEqual({ id: 'c-1' });
  // The token's exp is at the next whole second or the one after (its iat is rounded down).
  await sleep(2100);
  const expired = await get(token);
  expect(expired.statusCode).toBe(401);
  expect(expired.json().code).toBe('TOKEN_EXPIRED');
});

it('accepts the scheme in any case, and nothing but a bearer token', async () => {
  const token = app.jwt.sign({ sub: 'c-2', roles: [] });
  expect((await app.inject({ method: 'GET', url: '/me', headers: { authorization: `bearer ${token}` } })).json()).toEqual({ id: 'c-2' });
  expect((await app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token} extra` } })).statusCode).toBe(401);
  expect((await app.inject({ method: 'GET', url: '/me', headers: { authorization: token } })).statusCode).toBe(401);
});
