import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A one-time code that signs the local admin in to the console: printed in a link at start-up with the embedded
 * development database, and good for one sign-in. With DATABASE_URL there is none, and the sign-in route refuses.
 */
export class SignInCode {
  readonly code = randomBytes(24).toString('base64url');
  #used = false;

  /** True once, for the right code; every later try fails, right or wrong. */
  redeem(candidate: string): boolean {
    const given = Buffer.from(candidate);
    const expected = Buffer.from(this.code);
    const matches = given.length === expected.length && timingSafeEqual(given, expected);
    if (!matches || this.#used) return false;
    this.#used = true;
    return true;
  }
}
