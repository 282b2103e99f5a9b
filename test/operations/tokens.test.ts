import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type GenerateKeyPairResult, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import { signToken } from '../support/shop-client.ts';
import { startApp, TEST_JWT_SECRET, useApp } from '#testing';

const now = () => Math.floor(Date.now() / 1000);
const hs256 = (claims: Record<string, unknown>, secret = TEST_JWT_SECRET) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
/** A token with the given header and claims and no signature at all (`alg: none`). */
const unsigned = (claims: Record<string, unknown>) =>
  `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;

async function call(app: Pick<ModuleRouter, 'inject'>, token: string, url = '/me/orders') {
  const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  const type = String(response.headers['content-type']);
  return { status: response.statusCode, body: type.includes('json') ? response.json<{ code?: string; reason?: string }>() : response.body, type };
}

describe('HS256 tokens (JWT_SECRET) with JWT_MAX_AGE, JWT_ISSUER, JWT_AUDIENCE and JWT_ROLES_CLAIM', () => {
  const app = useApp({
    env: { JWT_MAX_AGE: '3600', JWT_CLOCK_TOLERANCE_S: '5', JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'seams,other', JWT_ROLES_CLAIM: 'realm_access.roles' },
  });
  const good = () => ({ sub: 'customer-1', iss: 'https://id.example', aud: 'seams', iat: now(), exp: now() + 600 });

  it('accepts a token with exp, iat, the issuer and one of the audiences, and reads roles from the configured claim', async () => {
    expect((await call(app, await hs256(good()))).status).toBe(200);
    expect((await call(app, await hs256({ ...good(), aud: ['x', 'other'] }))).status).toBe(200);
    // Roles at realm_access.roles, as Keycloak puts them: admin there opens an admin route; a top-level `roles` does not.
    expect((await call(app, await hs256({ ...good(), realm_access: { roles: ['admin'] } }), '/metrics')).status).toBe(200);
    expect((await call(app, await hs256({ ...good(), roles: ['admin'] }), '/metrics')).status).toBe(403);
  });

  it.each([
    ['without exp', () => ({ ...good(), exp: undefined }), 'no_expiry'],
    ['without iat', () => ({ ...good(), iat: undefined }), 'no_issued_at'],
    ['living longer than JWT_MAX_AGE', () => ({ ...good(), exp: now() + 7200 }), 'too_long_lived'],
    ['issued longer ago than JWT_MAX_AGE', () => ({ ...good(), iat: now() - 7200 }), 'too_long_lived'],
    ['expired beyond the clock tolerance', () => ({ ...good(), iat: now() - 600, exp: now() - 30 }), 'expired'],
    ['not valid yet', () => ({ ...good(), nbf: now() + 120 }), 'not_yet_valid'],
    ['from another issuer', () => ({ ...good(), iss: 'https://evil.example' }), 'issuer'],
    ['for another audience', () => ({ ...good(), aud: 'someone-else' }), 'audience'],
    ['without an audience', () => ({ ...good(), aud: undefined }), 'audience'],
  ])('refuses a token %s with 401 problem+json naming the reason', async (_name, claims, reason) => {
    const withoutUndefined = Object.fromEntries(Object.entries(claims()).filter(([, value]) => value !== undefined));
    const result = await call(app, await hs256(withoutUndefined));
    // An expired token has a code of its own (TOKEN_EXPIRED), so that a client knows to get a new one.
    expect(result).toMatchObject({ status: 401, body: { code: reason === 'expired' ? 'TOKEN_EXPIRED' : 'UNAUTHENTICATED', reason } });
    expect(result.type).toMatch(/^application\/problem\+json/);
  });

  it('allows clock skew up to JWT_CLOCK_TOLERANCE_S', async () => {
    expect((await call(app, await hs256({ ...good(), iat: now() - 600, exp: now() - 2 }))).status).toBe(200);
  });

  it('refuses alg none, another secret, and garbage', async () => {
    expect(await call(app, unsigned(good()))).toMatchObject({ status: 401, body: { reason: 'algorithm' } });
    expect(await call(app, await hs256(good(), 'another-secret-that-is-32-characters-long!'))).toMatchObject({ status: 401, body: { reason: 'signature' } });
    expect(await call(app, 'not.a.token')).toMatchObject({ status: 401, body: { reason: 'malformed' } });
  });

  it('issues tokens with app.jwt.sign that it accepts, and that live no longer than JWT_MAX_AGE', async () => {
    const handle = await startApp({ databaseUrl: app.databaseUrl });
    const plain = handle.app;
    try {
      const token = plain.jwt.sign({ sub: 'customer-2', roles: [] });
      const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };
      expect(claims.exp - claims.iat).toBe(86_400);
      expect((await call(plain, token)).status).toBe(200);
      expect((await call(plain, signToken({ sub: 'c', roles: [] }, TEST_JWT_SECRET))).status).toBe(200);
    } finally {
      await handle.close();
    }
  });
});

describe('tokens from an identity provider (JWT_JWKS_URL)', () => {
  let jwksServer: Server;
  let served: JWK[] = [];
  let fetches = 0;

  const rsa = generateKeyPair('RS256', { extractable: true });
  const ec = generateKeyPair('ES256', { extractable: true });
  const jwk = async (pair: Promise<GenerateKeyPairResult>, kid: string, alg: string) => ({ ...(await exportJWK((await pair).publicKey)), kid, alg, use: 'sig' });
  const sign = async (pair: Promise<GenerateKeyPairResult>, kid: string, alg: string, claims: Record<string, unknown> = {}) =>
    new SignJWT({ sub: 'idp-user', roles: ['admin'], ...claims }).setProtectedHeader({ alg, kid }).setIssuedAt().setExpirationTime('10m').sign((await pair).privateKey);

  beforeAll(async () => {
    served = [await jwk(rsa, 'key-1', 'RS256')];
    jwksServer = createServer((request, response) => {
      fetches += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => {
    jwksServer?.close();
  });
  // A cool-down of 0: every unknown kid refetches at once, so the test can count the fetches exactly.
  const app = useApp(() => ({
    env: { JWT_JWKS_URL: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`, JWT_JWKS_COOLDOWN_MS: '0' },
  }));

  it('fetches the key set once, picks the key by kid, refetches once when the provider rotates its key, and refuses what the set does not hold', async () => {
    const first = await sign(rsa, 'key-1', 'RS256');
    expect((await call(app, first, '/metrics')).status).toBe(200);
    expect((await call(app, first)).status).toBe(200);
    expect(fetches).toBe(1);

    // The provider rotates: the old key is gone, a new ES256 key takes its place.
    served = [await jwk(ec, 'key-2', 'ES256')];
    expect((await call(app, await sign(ec, 'key-2', 'ES256'))).status).toBe(200);
    expect(fetches).toBe(2);
    expect((await call(app, await sign(ec, 'key-2', 'ES256'))).status).toBe(200);
    expect(fetches).toBe(2);

    // The retired key, and a kid the provider never had: one refetch each, then 401. (A fresh token: one verified
    // before is remembered for up to a minute, never past its exp.)
    expect(await call(app, await sign(rsa, 'key-1', 'RS256', { jti: 'after-rotation' }))).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED', reason: 'unknown_key' } });
    expect(fetches).toBe(3);
    const stranger = generateKeyPair('ES256');
    expect(await call(app, await sign(stranger, 'made-up', 'ES256'))).toMatchObject({ status: 401, body: { reason: 'unknown_key' } });
    expect(fetches).toBe(4);
  });

  it('accepts only asymmetric algorithms: never HS256 (even keyed with JWT_SECRET or the public key) nor none', async () => {
    expect(await call(app, await hs256({ sub: 'x', iat: now(), exp: now() + 60 }))).toMatchObject({ status: 401, body: { reason: 'algorithm' } });
    const publicKeyAsSecret = JSON.stringify(await jwk(ec, 'key-2', 'ES256'));
    const confused = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'HS256', kid: 'key-2' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(publicKeyAsSecret));
    expect(await call(app, confused)).toMatchObject({ status: 401, body: { reason: 'algorithm' } });
    expect(await call(app, unsigned({ sub: 'x', iat: now(), exp: now() + 60 }))).toMatchObject({ status: 401, body: { reason: 'algorithm' } });
  });

  it('refuses an identity provider token without exp', async () => {
    const pair = await ec;
    const noExp = await new SignJWT({ sub: 'idp-user' }).setProtectedHeader({ alg: 'ES256', kid: 'key-2' }).setIssuedAt().sign(pair.privateKey);
    expect(await call(app, noExp)).toMatchObject({ status: 401, body: { reason: 'no_expiry' } });
  });
});
