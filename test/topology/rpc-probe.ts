import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Type from 'typebox';
import { NotFoundError } from '#platform/errors.ts';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import { defineContract, type ContractApi } from '#platform/modules/contract.ts';
import { defineModule } from '#platform/modules/define-module.ts';

/**
 * Two throw-away modules for the remote-call tests: a provider whose contract has an idempotent and a non-idempotent
 * method, and a consumer that calls them from a route, as a module's use case would. Run in one process they are the
 * in-process reference; split, the consumer gets the generated client.
 */
export const PROVIDER = 'rpc-provider';
export const CONSUMER = 'rpc-consumer';

export const providerContract = defineContract({
  module: PROVIDER,
  methods: {
    lookup: {
      description: 'A thing by id; "missing" is not found.',
      idempotent: true,
      input: Type.Object({ id: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
      output: Type.Object({ id: Type.String(), size: Type.Integer({ minimum: 0 }) }),
    },
    record: {
      description: 'Records a thing; calling twice records it twice.',
      idempotent: false,
      input: Type.Object({ id: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
      output: Type.Object({ recorded: Type.Integer() }),
    },
  },
});

type ProviderApi = ContractApi<typeof providerContract>;

let recorded = 0;
export const providerModule = defineModule({
  name: PROVIDER,
  owners: ['@seams/tests'],
  dependsOn: {},
  contract: providerContract,
  api: (): ProviderApi => ({
    lookup: async ({ id }) => {
      if (id === 'missing') throw new NotFoundError('THING_NOT_FOUND', `No thing ${id}`, { id, hint: 'ask for another' });
      return { id, size: id.length };
    },
    record: async () => ({ recorded: ++recorded }),
  }),
});

export const consumerModule = defineModule({
  name: CONSUMER,
  owners: ['@seams/tests'],
  dependsOn: { [PROVIDER]: 'the test calls it' },
  routes: (app: ModuleRouter, { rpcProviderApi }: { rpcProviderApi: ProviderApi }) => {
    app.post('/probe/:method', async (request) => {
      const { method } = request.params as { method: 'lookup' | 'record' };
      return rpcProviderApi[method](request.body as { id: string });
    });
  },
});

export const probeModules = [providerModule, consumerModule];

/** One request the stand-in server received. */
export interface ReceivedRequest {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A plain node:http server standing in for another process, for behaviours a real one shows only when it breaks:
 * hanging, answering garbage, failing for a while. `answer` decides per request; it may never end the response.
 */
export async function standInServer() {
  const received: ReceivedRequest[] = [];
  let answer: (response: ServerResponse, request: ReceivedRequest, index: number) => void = (response) => response.writeHead(500).end();
  const hanging = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const entry = { url: request.url ?? '', headers: request.headers, body };
      received.push(entry);
      hanging.add(response);
      response.on('close', () => hanging.delete(response));
      answer(response, entry, received.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    /** Sets how the next requests are answered, and forgets the requests seen so far. */
    behave(next: typeof answer) {
      received.length = 0;
      answer = next;
    },
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function json(response: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  response.writeHead(status, { 'content-type': contentType }).end(JSON.stringify(body));
}
