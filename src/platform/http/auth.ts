import fastifyJwt from '@fastify/jwt';
import type { FastifyRequest } from 'fastify';
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
}

export const ADMIN_ROLE = 'admin';

/** Bearer JWTs signed with HS256 and the configured secret. Routes opt in with {@link authenticated} or {@link adminOnly}. */
export async function installAuth(app: ModuleRouter, secret: string): Promise<void> {
  await app.register(fastifyJwt, { secret, sign: { algorithm: 'HS256', expiresIn: '30d' }, verify: { algorithms: ['HS256'] } });
}

/** An onRequest hook (checked before the input is parsed): the request must carry a valid bearer token. Missing or invalid: 401 problem+json. */
export async function authenticated(request: FastifyRequest): Promise<void> {
  let claims: { sub?: unknown; roles?: unknown };
  try {
    claims = await request.jwtVerify<{ sub?: unknown; roles?: unknown }>();
  } catch (error) {
    // An expired token is the one a person can fix by getting a new one: say so, rather than "not valid".
    if ((error as { code?: unknown }).code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED') {
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
  const decoded = request.server.jwt.decode<{ exp?: unknown }>(request.headers.authorization?.replace(/^Bearer\s+/i, '') ?? '');
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
