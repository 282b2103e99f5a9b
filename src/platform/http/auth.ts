import fastifyJwt from '@fastify/jwt';
import type { FastifyRequest } from 'fastify';
import type { JWTPayload } from 'jose';
import { AppError } from '../errors.ts';
import type { ModuleRouter } from './module-router.ts';
import { createTokenVerifier, type TokenSettings, type TokenVerifier } from './token-verifier.ts';

/** Who is calling: the `sub` and roles claims of a verified bearer token. */
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
    /** Checks a request's bearer token, once per request however often asked, and says who it names (installAuth). */
    readonly callerOfRequest: (request: FastifyRequest) => Promise<Caller>;
  }
}

export const ADMIN_ROLE = 'admin';

export interface AuthSettings extends TokenSettings {
  /** The claim that lists the caller's roles: a top-level name (`roles`, `https://example.com/roles`) or a dotted path (`realm_access.roles`). */
  readonly rolesClaim: string;
}

/**
 * Bearer JWTs: verified against an identity provider's key set (JWT_JWKS_URL, RS256/ES256) or, in development and
 * tests, the HS256 secret, with exp, iat and their span, and iss/aud when configured. Routes opt in with
 * {@link authenticated} or {@link adminOnly}. With a secret, `app.jwt.sign` issues tokens that pass (demo tokens, tests).
 */
export async function installAuth(app: ModuleRouter, settings: AuthSettings): Promise<void> {
  if (settings.secret) {
    await app.register(fastifyJwt, {
      secret: settings.secret,
      // In seconds (the plugin converts them for fast-jwt); no longer than verification accepts.
      sign: { algorithm: 'HS256', expiresIn: settings.maxAgeSeconds },
      verify: { algorithms: ['HS256'] },
    });
  }
  const verify: TokenVerifier = createTokenVerifier(settings);
  // The rate limit's key and the route's guard both need the caller: one verification serves both.
  const verified = new WeakMap<FastifyRequest, Promise<Caller>>();
  app.decorate('callerOfRequest', (request: FastifyRequest) => {
    let caller = verified.get(request);
    if (!caller) {
      const token = bearerToken(request);
      caller = token
        ? verify(token).then((claims) => callerFromClaims(claims, settings.rolesClaim))
        : Promise.reject(new AppError('unauthenticated', 'UNAUTHENTICATED', 'A valid bearer token is required', { details: { reason: 'missing' } }));
      // Whoever asks gets the rejection; an unasked one must not count as unhandled.
      caller.catch(() => undefined);
      verified.set(request, caller);
    }
    return caller;
  });
}

function callerFromClaims(claims: JWTPayload, rolesClaim: string): Caller {
  if (typeof claims.sub !== 'string' || claims.sub.length === 0) {
    throw new AppError('unauthenticated', 'UNAUTHENTICATED', 'The token has no subject', { details: { reason: 'no_subject' } });
  }
  const listed = claimAt(claims, rolesClaim);
  const roles = Array.isArray(listed) ? listed.filter((role): role is string => typeof role === 'string') : [];
  return { id: claims.sub, roles, isAdmin: roles.includes(ADMIN_ROLE) };
}

/** The claim by its full name if the token has one so named, else by its dotted path. */
function claimAt(claims: JWTPayload, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** The bearer token of a request, or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/** An onRequest hook (checked before the input is parsed): the request must carry a valid bearer token. Missing or invalid: 401 problem+json. */
export async function authenticated(request: FastifyRequest): Promise<void> {
  request.caller = await request.server.callerOfRequest(request);
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
