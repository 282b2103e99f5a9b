import { createHash, timingSafeEqual } from 'node:crypto';
import type { AwilixContainer } from 'awilix';
import type { FastifyRequest } from 'fastify';
import { Compile } from 'typebox/compile';
import { AppError } from '../errors.ts';
import type { ModuleRouter } from '../http/module-router.ts';
import type { ContractMethod } from './contract.ts';
import { contractMethodPath, SERVICE_TOKEN_INVALID, SERVICE_TOKEN_REQUIRED } from './contract-endpoint.ts';
import type { AnyModule } from './define-module.ts';
import { key } from './module-container.ts';

/**
 * Serves the API of every local module whose contract has methods, so other processes can call it: one route per
 * method, `POST /internal/modules/<module>/<method>`, generated from the contract's TypeBox schemas. The body is
 * validated against the input schema (400 problem+json otherwise) and the answer against the output schema (a
 * mismatch is the callee's bug: 500); the callee's AppErrors leave as problem+json with their stable code, which the
 * remote client turns back into the same AppError. Only with a SERVICE_TOKEN: each request must carry
 * `authorization: Bearer <SERVICE_TOKEN>` (401 without it, 403 with another). Hidden from the public docs.
 */
export async function serveContracts(app: ModuleRouter, container: AwilixContainer, modules: readonly AnyModule[], serviceToken: string | undefined): Promise<void> {
  // A process that runs everything has nobody to serve; without a token the endpoints would be open to anyone.
  if (!serviceToken) return;
  const served = modules.filter((module) => module.contract && Object.keys(module.contract.methods).length > 0);
  if (served.length === 0) return;

  await app.register(async (scope) => {
    scope.addHook('onRequest', serviceTokenGuard(serviceToken));
    for (const module of served) {
      const api = container.resolve<Record<string, (input: unknown) => Promise<unknown>>>(key(module.name, 'api'));
      const methods = Object.entries(module.contract!.methods as Record<string, ContractMethod>);
      for (const [method, definition] of methods) {
        const output = Compile(definition.output);
        scope.post(
          contractMethodPath(module.name, method),
          // Not rate-limited: every call between two processes comes from one address, on behalf of many callers.
          { config: { rateLimit: false }, schema: { hide: true, body: definition.input, response: { 200: definition.output } } },
          async (request) => {
            request.log = request.log.child({ module: module.name });
            const result = await api[method]!(request.body);
            if (!output.Check(result)) {
              const first = [...output.Errors(result)][0];
              throw new Error(`${module.name}.${method} returned output that does not match its contract: ${first?.instancePath || '/'} ${first?.message ?? ''}`);
            }
            return result;
          },
        );
      }
    }
  });
}

/** An onRequest hook that admits only callers presenting the service token, compared in constant time. */
function serviceTokenGuard(serviceToken: string): (request: FastifyRequest) => Promise<void> {
  // Digests have equal lengths, which timingSafeEqual needs, and say nothing about the token's length.
  const expected = createHash('sha256').update(serviceToken).digest();
  return async (request) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!match) {
      throw new AppError('unauthenticated', SERVICE_TOKEN_REQUIRED, 'Module endpoints need the service token: send authorization: Bearer <SERVICE_TOKEN>');
    }
    const given = createHash('sha256').update(match[1]!).digest();
    if (!timingSafeEqual(given, expected)) {
      throw new AppError('forbidden', SERVICE_TOKEN_INVALID, 'The service token is not this process\'s SERVICE_TOKEN: every process must have the same one');
    }
  };
}
