import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import { AppError } from '#platform/errors.ts';
import { createRemoteApi, RemoteCallError } from '#platform/modules/remote-client.ts';
import { useApp } from '#testing';
import { CONSUMER, json, probeModules, PROVIDER, providerContract, standInServer } from './rpc-probe.ts';

/**
 * A consumer module calling a provider module in another process, through the client generated from the provider's
 * contract: what the consumer's users see (its route's answers) and what the provider's process receives. The
 * provider is either a real app (MODULES=rpc-provider) or a stand-in node:http server that hangs, fails or answers
 * garbage on demand.
 */

const SERVICE_TOKEN = 'remote-calls-test-service-token-0123456789';
const TIMEOUT_MS = 300;
const RETRIES = 2;

const remoteEnv = (url: string) => ({
  MODULES: CONSUMER,
  REMOTE_MODULES: `${PROVIDER}=${url}`,
  SERVICE_TOKEN,
  REMOTE_TIMEOUT_MS: String(TIMEOUT_MS),
  REMOTE_RETRIES: String(RETRIES),
});

let standIn: Awaited<ReturnType<typeof standInServer>>;
beforeAll(async () => {
  standIn = await standInServer();
});
afterAll(async () => {
  await standIn?.close();
});
const provider = useApp({ modules: probeModules, env: { MODULES: PROVIDER, SERVICE_TOKEN }, listen: true });
let providerUrl: string;
beforeAll(() => {
  providerUrl = provider.url;
});
/** The consumer with the provider in its own process, for reference. */
const together = useApp({ modules: probeModules });
/** The consumer calling the real provider app. */
const split = useApp(() => ({ modules: probeModules, env: remoteEnv(provider.url) }));
/** The consumer calling the stand-in. */
const toStandIn = useApp(() => ({ modules: probeModules, env: remoteEnv(standIn.url) }));

const callThrough = async (app: Pick<ModuleRouter, 'inject'>, method: string, payload: unknown) => {
  const response = await app.inject({ method: 'POST', url: `/probe/${method}`, payload: payload as object });
  return { status: response.statusCode, body: response.json<Record<string, unknown>>(), contentType: response.headers['content-type'] };
};

/** A problem body without what differs per request. */
const stable = ({ instance: _instance, requestId: _requestId, ...rest }: Record<string, unknown>) => rest;

describe('a remote provider answers as the local one does', () => {
  it('returns the same output', async () => {
    const local = await callThrough(together, 'lookup', { id: 'abc' });
    const remote = await callThrough(split, 'lookup', { id: 'abc' });
    expect(local).toEqual({ status: 200, body: { id: 'abc', size: 3 }, contentType: expect.stringContaining('application/json') });
    expect(remote).toEqual(local);
  });

  it("rethrows the provider's error as the same AppError: same status, code, message and details at the consumer's route", async () => {
    const local = await callThrough(together, 'lookup', { id: 'missing' });
    const remote = await callThrough(split, 'lookup', { id: 'missing' });
    expect(local.status).toBe(404);
    expect(local.body).toMatchObject({ code: 'THING_NOT_FOUND', detail: 'No thing missing', id: 'missing', hint: 'ask for another' });
    expect(remote.status).toBe(local.status);
    expect(remote.contentType).toBe(local.contentType);
    expect(stable(remote.body)).toEqual(stable(local.body));

    // The client itself throws an AppError, so the consumer's code can catch it by code as it would in process.
    const client = createRemoteApi(providerContract, { baseUrl: providerUrl, serviceToken: SERVICE_TOKEN, timeoutMs: 2000, retries: 0 });
    const error = await client.lookup({ id: 'missing' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ kind: 'not_found', code: 'THING_NOT_FOUND', message: 'No thing missing', details: { id: 'missing', hint: 'ask for another' } });
  });

  it('refuses input that does not match the contract before sending it', async () => {
    standIn.behave((response) => json(response, 200, { id: 'x', size: 1 }));
    const client = createRemoteApi(providerContract, { baseUrl: standIn.url, serviceToken: SERVICE_TOKEN, timeoutMs: 2000, retries: 0 });
    const error = await client.lookup({ id: '' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RemoteCallError);
    expect((error as Error).message).toMatch(/Input of rpc-provider.lookup does not match its contract: \/id /);
    expect(standIn.received).toHaveLength(0);
  });
});

describe("the provider's endpoint", () => {
  const endpoint = () => `${providerUrl}/internal/modules/${PROVIDER}/lookup`;
  const post = (headers: Record<string, string>, body: unknown = { id: 'abc' }) =>
    fetch(endpoint(), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('serves the method to a caller with the service token', async () => {
    const response = await post({ authorization: `Bearer ${SERVICE_TOKEN}` });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: 'abc', size: 3 });
  });

  it('refuses a caller without the token (401) or with another one (403), as problem+json', async () => {
    const missing = await post({});
    expect(missing.status).toBe(401);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(await missing.json()).toMatchObject({ status: 401, code: 'SERVICE_TOKEN_REQUIRED' });

    const wrong = await post({ authorization: `Bearer ${SERVICE_TOKEN}x` });
    expect(wrong.status).toBe(403);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    expect(await wrong.json()).toMatchObject({ status: 403, code: 'SERVICE_TOKEN_INVALID' });

    // A consumer with the wrong token is a misconfiguration of ours, not the user's: a 500 at the consumer's route,
    // and the client's error says what to fix.
    const client = createRemoteApi(providerContract, { baseUrl: providerUrl, serviceToken: `${SERVICE_TOKEN}x`, timeoutMs: 2000, retries: RETRIES });
    await expect(client.lookup({ id: 'abc' })).rejects.toThrow(/refused our service token \(403 SERVICE_TOKEN_INVALID\): every process must have the same SERVICE_TOKEN/);
  });

  it('validates the input against the contract (400 problem+json naming the field)', async () => {
    const response = await post({ authorization: `Bearer ${SERVICE_TOKEN}` }, { id: 'abc', extra: 1 });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'body.extra' }] });
  });

  it('is not in the public API docs', async () => {
    const docs = await provider.inject({ method: 'GET', url: '/docs/json' });
    expect(docs.statusCode).toBe(200);
    expect(Object.keys(docs.json<{ paths: Record<string, unknown> }>().paths).filter((path) => path.startsWith('/internal'))).toEqual([]);
  });

  it('is not served at all by a process without a SERVICE_TOKEN', async () => {
    const response = await together.inject({ method: 'POST', url: `/internal/modules/${PROVIDER}/lookup`, payload: { id: 'abc' } });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });
});

describe('timeouts, retries and broken answers', () => {
  it('retries a timed-out idempotent method up to REMOTE_RETRIES times, then answers 503', async () => {
    standIn.behave(() => undefined); // never answers
    const started = Date.now();
    const result = await callThrough(toStandIn, 'lookup', { id: 'abc' });
    expect(result.status).toBe(503);
    expect(result.body).toMatchObject({ code: 'MODULE_UNAVAILABLE', detail: `Module "${PROVIDER}" did not answer lookup (no answer within ${TIMEOUT_MS} ms)` });
    expect(standIn.received).toHaveLength(1 + RETRIES);
    expect(standIn.received.every((request) => request.url === `/internal/modules/${PROVIDER}/lookup` && request.body === '{"id":"abc"}')).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual((1 + RETRIES) * TIMEOUT_MS);
  });

  it('does not retry a timed-out method that is not idempotent: it may have taken effect', async () => {
    standIn.behave(() => undefined);
    const result = await callThrough(toStandIn, 'record', { id: 'abc' });
    expect(result.status).toBe(503);
    expect(result.body).toMatchObject({ code: 'MODULE_UNAVAILABLE' });
    expect(standIn.received).toHaveLength(1);
  });

  it('gets through when a retry of an idempotent method finds the provider back', async () => {
    standIn.behave((response, _request, index) =>
      index === 0 ? json(response, 503, { type: 'x', title: 'Service Unavailable', status: 503, code: 'NOT_READY' }, 'application/problem+json') : json(response, 200, { id: 'abc', size: 3 }),
    );
    const result = await callThrough(toStandIn, 'lookup', { id: 'abc' });
    expect(result).toMatchObject({ status: 200, body: { id: 'abc', size: 3 } });
    expect(standIn.received).toHaveLength(2);
  });

  it('rejects an answer that does not match the contract, without retrying it', async () => {
    standIn.behave((response) => json(response, 200, { id: 'abc', size: 'three' }));
    const result = await callThrough(toStandIn, 'lookup', { id: 'abc' });
    expect(result.status).toBe(500);
    expect(result.body).toMatchObject({ code: 'INTERNAL_ERROR' });
    expect(standIn.received).toHaveLength(1);

    const client = createRemoteApi(providerContract, { baseUrl: standIn.url, serviceToken: SERVICE_TOKEN, timeoutMs: 2000, retries: RETRIES });
    const error = await client.lookup({ id: 'abc' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RemoteCallError);
    expect(error).toMatchObject({ code: 'REMOTE_OUTPUT_INVALID' });
    expect((error as Error).message).toMatch(/rpc-provider.lookup at http:\/\/127\.0\.0\.1:\d+\/internal\/modules\/rpc-provider\/lookup answered with output that does not match its contract: \/size must be integer/);
  });

  it('reports a provider that refuses connections as unavailable, after the retries', async () => {
    const closed = await standInServer();
    const url = closed.url;
    await closed.close();
    const client = createRemoteApi(providerContract, { baseUrl: url, serviceToken: SERVICE_TOKEN, timeoutMs: 2000, retries: RETRIES });
    const error = await client.lookup({ id: 'abc' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ kind: 'unavailable', code: 'MODULE_UNAVAILABLE' });
    expect((error as Error).message).toMatch(/did not answer lookup \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)/);
  });

  it('says which setting is wrong when the address serves something else', async () => {
    const client = createRemoteApi(providerContract, { baseUrl: `${providerUrl}/nowhere`, serviceToken: SERVICE_TOKEN, timeoutMs: 2000, retries: 0 });
    await expect(client.lookup({ id: 'abc' })).rejects.toThrow(/does not serve rpc-provider.lookup: REMOTE_MODULES must point "rpc-provider" at a process whose MODULES includes it/);
  });
});
