import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AppError } from '../errors.ts';

/** How bearer tokens are checked (JWT_* settings). */
export interface TokenSettings {
  /** HS256 secret (JWT_SECRET): development and tests. Unused when `jwksUrl` is set. */
  readonly secret?: string | undefined;
  /** An identity provider's JSON Web Key Set: tokens are then verified with its RS256/ES256 keys only. */
  readonly jwksUrl?: string | undefined;
  readonly issuer?: string | undefined;
  /** Any one of these must be in `aud`. */
  readonly audiences?: readonly string[] | undefined;
  /** Longest accepted lifetime, `exp` - `iat`, in seconds; also the longest time since `iat`. */
  readonly maxAgeSeconds: number;
  readonly clockToleranceSeconds: number;
  /** Shortest time between two fetches of the key set; an unknown `kid` refetches it once, at most this often. */
  readonly jwksCooldownMs: number;
}

/** Why a token was refused; the problem body's `reason` and the log line's, for dashboards and support. */
export type TokenRefusal =
  | 'malformed'
  | 'algorithm'
  | 'signature'
  | 'unknown_key'
  | 'expired'
  | 'not_yet_valid'
  | 'no_expiry'
  | 'no_issued_at'
  | 'too_long_lived'
  | 'issuer'
  | 'audience';

/** Algorithms an identity provider's keys may sign with: asymmetric only, so a public key can never verify an HMAC. */
const JWKS_ALGORITHMS = ['RS256', 'ES256'];
const JWKS_TIMEOUT_MS = 5000;
const JWKS_CACHE_MS = 10 * 60_000;
/** How many verified tokens are remembered, and for how long at most. */
const VERIFIED_CACHE = { size: 1000, ttlMs: 60_000 };

/**
 * Verifies a bearer token (its signature, then exp, iat, nbf, iss and aud) and returns its claims, or throws a 401
 * AppError. A token verified shortly before comes back at once, not as a promise: the hot path of an authenticated
 * request then waits on nothing.
 */
export type TokenVerifier = (token: string) => JWTPayload | Promise<JWTPayload>;

export function createTokenVerifier(settings: TokenSettings): TokenVerifier {
  const key: Uint8Array | JWTVerifyGetKey = settings.jwksUrl
    ? createRemoteJWKSet(new URL(settings.jwksUrl), { cooldownDuration: settings.jwksCooldownMs, cacheMaxAge: JWKS_CACHE_MS, timeoutDuration: JWKS_TIMEOUT_MS })
    : new TextEncoder().encode(requiredSecret(settings.secret));
  const options = {
    algorithms: settings.jwksUrl ? JWKS_ALGORITHMS : ['HS256'],
    requiredClaims: ['exp', 'iat'],
    maxTokenAge: settings.maxAgeSeconds,
    clockTolerance: settings.clockToleranceSeconds,
    ...(settings.issuer ? { issuer: settings.issuer } : {}),
    ...(settings.audiences && settings.audiences.length > 0 ? { audience: [...settings.audiences] } : {}),
  };
  // A client sends the same token with every request: verifying and parsing it each time was a cheap authenticated
  // read's largest cost after the query. Remembered briefly, never past the token's own exp.
  const remembered = new Map<string, { payload: JWTPayload; until: number }>();
  const remember = (token: string, payload: JWTPayload) => {
    if (remembered.size >= VERIFIED_CACHE.size) remembered.delete(remembered.keys().next().value!);
    remembered.set(token, { payload, until: Math.min(Date.now() + VERIFIED_CACHE.ttlMs, payload.exp! * 1000) });
    return payload;
  };
  return (token) => {
    const known = remembered.get(token);
    if (known && known.until > Date.now()) return known.payload;
    if (known) remembered.delete(token);
    return verifyOnce(token).then((payload) => remember(token, payload));
  };

  async function verifyOnce(token: string): Promise<JWTPayload> {
    let payload: JWTPayload;
    try {
      // Two overloads of jwtVerify (a key, or a function that picks one); both are the same at run time.
      ({ payload } = await jwtVerify(token, key as Uint8Array, options));
    } catch (error) {
      if (error instanceof errors.JWKSTimeout || (settings.jwksUrl && isFetchFailure(error))) {
        throw new AppError('unavailable', 'IDENTITY_PROVIDER_UNAVAILABLE', 'The keys that verify tokens cannot be fetched right now; try again shortly', { cause: error });
      }
      const reason = refusalOf(error);
      // An expired token is the one a person can fix by getting a new one: its own code, and when it expired.
      if (reason === 'expired') throw expired(error);
      throw refused(reason, error);
    }
    // jose bounds the time since iat; a token that says it lives longer than allowed is refused even while young.
    if (payload.exp! - payload.iat! > settings.maxAgeSeconds + settings.clockToleranceSeconds) throw refused('too_long_lived');
    return payload;
  }
}

function expired(error: unknown): AppError {
  const exp = (error as { payload?: { exp?: unknown } }).payload?.exp;
  const at = typeof exp === 'number' ? ` at ${new Date(exp * 1000).toISOString()}` : '';
  return new AppError('unauthenticated', 'TOKEN_EXPIRED', `The bearer token expired${at}; get a new token and send that`, { details: { reason: 'expired' }, cause: error });
}

function refused(reason: TokenRefusal, cause?: unknown): AppError {
  return new AppError('unauthenticated', 'UNAUTHENTICATED', `The bearer token was refused: ${DESCRIPTIONS[reason]}`, { details: { reason }, cause });
}

const DESCRIPTIONS: Record<TokenRefusal, string> = {
  malformed: 'it is not a well-formed signed JWT',
  algorithm: 'its algorithm is not accepted',
  signature: 'its signature does not verify',
  unknown_key: 'no key of the identity provider matches its kid',
  expired: 'it has expired',
  not_yet_valid: 'it is not valid yet',
  no_expiry: 'it has no exp claim',
  no_issued_at: 'it has no iat claim',
  too_long_lived: 'it lives longer than JWT_MAX_AGE allows',
  issuer: 'its issuer is not the expected one',
  audience: 'it is not meant for this audience',
};

function refusalOf(error: unknown): TokenRefusal {
  // jose says "expired" also for a token issued longer ago than maxTokenAge: that one is too long-lived.
  if (error instanceof errors.JWTExpired) return error.claim === 'iat' ? 'too_long_lived' : 'expired';
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return 'algorithm';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return 'unknown_key';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'exp') return 'no_expiry';
    if (error.claim === 'iat') return error.reason === 'check_failed' ? 'too_long_lived' : 'no_issued_at';
    if (error.claim === 'nbf') return 'not_yet_valid';
    if (error.claim === 'iss') return 'issuer';
    if (error.claim === 'aud') return 'audience';
  }
  return 'malformed';
}

/** The key set's server did not answer (refused, reset, DNS), or not with a key set: not the token's fault. */
function isFetchFailure(error: unknown): boolean {
  if (error instanceof TypeError && error.message === 'fetch failed') return true;
  // A plain JOSEError (no subclass) is what jose throws for a non-200 answer or a body that is not JSON.
  return error instanceof errors.JWKSInvalid || (error instanceof errors.JOSEError && error.constructor === errors.JOSEError);
}

function requiredSecret(secret: string | undefined): string {
  if (!secret) throw new Error('createTokenVerifier: neither a JWKS URL nor a secret');
  return secret;
}
