import fastifyJwt from '@fastify/jwt';
import type { FastifyRequest } from 'fastify';
import { createVerifier, TokenError } from 'fast-jwt';
import { AppError } from '../errors.ts';
import type { ModuleRouter } from './module-router.ts';

/** Who is calling: the `sub` and `roles` claims of a verified bearer token. */
export interface Caller {
  readonly id: string;
  readonly roles: readonly string[];
  readonly isAdmin: boolean;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string; roles: string[] };
    user: { sub: string; roles: string[] };
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the `authenticated`/`adminOnly` guards; absent on public routes. */
    caller?: Caller;
  }
  interface FastifyInstance {
    /** Verifies a bearer token of this app (HS256, its secret) and returns its claims; throws when it is not valid. */
    verifyBearerToken(token: string): { sub?: unknown; roles?: unknown };
  }
}

/**
 * How many verified tokens are remembered, and for how long at most (never past a token's own `exp`). A client sends
 * the same token with every request; checking its HMAC and parsing it again each time was a cheap authenticated
 * read's largest cost after the query.
 */
const VERIFIED_TOKEN_CACHE = { size: 1000, ttlMs: 60_000 };

export const ADMIN_ROLE = 'admin';

/** Bearer JWTs signed with HS256 and the configured secret. Routes opt in with {@link authenticated} or {@link adminOnly}. */
export async function installAuth(app: ModuleRouter, secret: string): Promise<void> {
  // @fastify/jwt signs (`app.jwt.sign`: the demo token, tests). Verifying goes straight to fast-jwt's verifier, which
  // @fastify/jwt wraps: its request.jwtVerify() decodes the token and merges options again on every call.
  await app.register(fastifyJwt, { secret, sign: { algorithm: 'HS256', expiresIn: '30d' }, verify: { algorithms: ['HS256'] } });
  app.decorate('verifyBearerToken', createVerifier({ key: secret, algorithms: ['HS256'], cache: VERIFIED_TOKEN_CACHE.size, cacheTTL: VERIFIED_TOKEN_CACHE.ttlMs }));
}

/** The token of an `Authorization: Bearer <token>` header; undefined when there is none or it has another form. */
function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toLowerCase() !== 'bearer') return undefined;
  const token = header.slice(space + 1).trim();
  return token.length > 0 && !token.includes(' ') ? token : undefined;
}

/**
 * An onRequest hook (checked before the input is parsed): the request must carry a valid bearer token. Missing or
 * invalid: 401 problem+json. Only routes that need the caller run it, once per request.
 */
export async function authenticated(request: FastifyRequest): Promise<void> {
  if (request.caller) return;
  const token = bearerToken(request);
  if (!token) throw new AppError('unauthenticated', 'UNAUTHENTICATED', 'A valid bearer token is required');
  let claims: { sub?: unknown; roles?: unknown };
  try {
    claims = request.server.verifyBearerToken(token);
  } catch (error) {
    // An expired token is the one a person can fix by getting a new one: say so, rather than "not valid".
    if ((error as { code?: unknown }).code === TokenError.codes.expired) {
      throw new AppError('unauthenticated', 'TOKEN_EXPIRED', `The bearer token expired${expiryOf(request)}; get a new token and send that`, { cause: error });
    }
    throw new AppError('unauthenticated', 'UNAUTHENTICATED', 'A valid bearer token is required', { cause: error });
  }
  if (typeof claims.sub !== 'string' || claims.sub.length === 0) {
    throw new AppError('unauthenticated', 'UNAUTHENTICATED', 'The token has no subject');
  }
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((role): role is string => typeof role === 'string') : [];
  request.caller = { id: claims.sub, roles, isAdmin: roles.includes(ADMIN_ROLE) };
}

/** " at <time>" from the token's `exp` claim, read without verifying (it was verified up to its expiry). */
function expiryOf(request: FastifyRequest): string {
  const decoded = request.server.jwt.decode<{ exp?: unknown }>(bearerToken(request) ?? '');
  return typeof decoded?.exp === 'number' ? ` at ${new Date(decoded.exp * 1000).toISOString()}` : '';
}

/** An onRequest hook: a valid token with the admin role. Without a token 401, without the role 403. */
export async function adminOnly(request: FastifyRequest): Promise<void> {
  await authenticated(request);
  if (!request.caller?.isAdmin) throw new AppError('forbidden', 'ADMIN_ROLE_REQUIRED', 'This needs the admin role');
}

/** The caller of a route guarded by {@link authenticated}. */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new Error('callerOf() on a route without the authenticated guard');
  return request.caller;
}
