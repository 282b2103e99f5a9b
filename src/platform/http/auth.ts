import fastifyJwt from '@fastify/jwt';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
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
    /** The same, without a promise when the token was verified shortly before (the guards' fast path). */
    readonly callerNow: (request: FastifyRequest) => Caller | Promise<Caller>;
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
  // The caller named by each remembered token's claims, made once: the claims object stays the same while remembered.
  const callers = new WeakMap<JWTPayload, Caller>();
  const callerOfClaims = (claims: JWTPayload) => {
    let caller = callers.get(claims);
    if (!caller) callers.set(claims, (caller = callerFromClaims(claims, settings.rolesClaim)));
    return caller;
  };
  // The rate limit's key and the route's guard both need the caller: one verification serves both.
  const verified = new WeakMap<FastifyRequest, Caller | Promise<Caller>>();
  const callerNow = (request: FastifyRequest): Caller | Promise<Caller> => {
    let caller = verified.get(request);
    if (!caller) {
      caller = callerOfToken(bearerToken(request));
      // Whoever asks gets the rejection; an unasked one must not count as unhandled.
      if (caller instanceof Promise) caller.catch(() => undefined);
      verified.set(request, caller);
    }
    return caller;
  };
  const callerOfToken = (token: string | undefined): Caller | Promise<Caller> => {
    if (!token) return Promise.reject(new AppError('unauthenticated', 'UNAUTHENTICATED', 'A valid bearer token is required', { details: { reason: 'missing' } }));
    try {
      const claims = verify(token);
      return claims instanceof Promise ? claims.then(callerOfClaims) : callerOfClaims(claims);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  };
  app.decorate('callerNow', callerNow);
  app.decorate('callerOfRequest', (request: FastifyRequest) => {
    const caller = callerNow(request);
    return caller instanceof Promise ? caller : Promise.resolve(caller);
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

/**
 * An onRequest hook (checked before the input is parsed): the request must carry a valid bearer token. Missing or
 * invalid: 401 problem+json. Callback-style, and synchronous for a token verified shortly before: an async hook costs
 * a promise per request.
 */
export function authenticated(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  guard(request, done, () => undefined);
}

/** An onRequest hook: a valid token with the admin role. Without a token 401, without the role 403. */
export function adminOnly(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  guard(request, done, (caller) => (caller.isAdmin ? undefined : new AppError('forbidden', 'ADMIN_ROLE_REQUIRED', 'This needs the admin role')));
}

function guard(request: FastifyRequest, done: HookHandlerDoneFunction, refusal: (caller: Caller) => Error | undefined): void {
  const admit = (caller: Caller) => {
    request.caller = caller;
    const error = refusal(caller);
    if (error) done(error);
    else done();
  };
  const caller = request.server.callerNow(request);
  if (caller instanceof Promise) caller.then(admit, done);
  else admit(caller);
}

/** The caller of a route guarded by {@link authenticated}. */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new Error('callerOf() on a route without the authenticated guard');
  return request.caller;
}
