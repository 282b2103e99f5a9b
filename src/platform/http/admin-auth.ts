import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';

/**
 * A preHandler that admits only requests bearing the admin token. With no token configured nobody is admitted, so
 * an unconfigured deployment never exposes the admin API.
 */
export function requireAdminToken(adminToken: string | undefined): (request: FastifyRequest) => Promise<void> {
  const expected = adminToken === undefined ? undefined : Buffer.from(adminToken);
  return async (request) => {
    const header = request.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? Buffer.from(header.slice('Bearer '.length)) : undefined;
    if (!expected || !presented || presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw new AppError('unauthenticated', 'UNAUTHENTICATED', 'A valid admin bearer token is required');
    }
  };
}
