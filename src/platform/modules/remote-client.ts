import { setTimeout as sleep } from 'node:timers/promises';
import { context, propagation } from '@opentelemetry/api';
import { Compile } from 'typebox/compile';
import { AppError, type AppErrorKind } from '../errors.ts';
import { STATUS_BY_KIND } from '../http/error-handler.ts';
import { PROBLEM_CONTENT_TYPE } from '../http/problem.ts';
import type { Logger } from '../logger.ts';
import { inSpan, SpanKind } from '../telemetry/tracing.ts';
import type { Contract, ContractApi, ContractMethod } from './contract.ts';
import { contractMethodPath, SERVICE_TOKEN_INVALID, SERVICE_TOKEN_REQUIRED } from './contract-endpoint.ts';
import type { RemoteModule } from './topology.ts';

export interface RemoteClientOptions {
  /** Base URL of the process that runs the module (from REMOTE_MODULES), without a trailing slash. */
  readonly baseUrl: string;
  /** SERVICE_TOKEN: the same secret in every process. */
  readonly serviceToken: string;
  /** Per attempt, from sending the request to the last byte of the answer. */
  readonly timeoutMs: number;
  /** Extra attempts after a transient failure, for methods the contract marks idempotent only. */
  readonly retries: number;
  /** First delay between attempts; doubles per attempt, with full jitter. */
  readonly backoffMs?: number;
  /** Failed attempts are logged here at warn level (the final failure also reaches the caller). */
  readonly logger?: Logger;
}

/**
 * A call to another process's module API that failed for a reason the callee's own code would never give in process:
 * the input or the answer does not match the contract, the endpoint refused our service token, or the callee failed
 * unexpectedly. A programmer's or operator's error, so not an {@link AppError}: the caller's request ends in a 500.
 */
export class RemoteCallError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RemoteCallError';
    this.code = code;
  }
}

/** The code of the {@link AppError} thrown when the other process cannot be reached in time. */
export const MODULE_UNAVAILABLE = 'MODULE_UNAVAILABLE';

const KIND_BY_STATUS = new Map(Object.entries(STATUS_BY_KIND).map(([kind, status]) => [status, kind as AppErrorKind]));
/** Statuses worth another attempt: the callee, or a proxy in front of it, may answer the next one. */
const TRANSIENT_STATUSES = new Set([502, 503, 504]);
/** Members every problem body has; the others are the error's `details`, as the callee's AppError carried them. */
const PROBLEM_MEMBERS = new Set(['type', 'title', 'status', 'code', 'detail', 'instance', 'requestId']);

/** Clients for the remote modules that have a contract, by module name, to register where their APIs would be. */
export function createRemoteApis(
  remote: readonly RemoteModule[],
  options: Omit<RemoteClientOptions, 'baseUrl' | 'serviceToken'> & { readonly serviceToken: string | undefined },
): Map<string, object> {
  const apis = new Map<string, object>();
  for (const { module, url } of remote) {
    if (!module.contract) continue;
    if (!options.serviceToken) throw new RemoteCallError('SERVICE_TOKEN_MISSING', `Module "${module.name}" is remote (${url}) but SERVICE_TOKEN is not set: set the same SERVICE_TOKEN in every process`);
    apis.set(module.name, createRemoteApi(module.contract as Contract, { ...options, baseUrl: url, serviceToken: options.serviceToken }));
  }
  return apis;
}

/**
 * A client of a module that runs in another process, with the same type as its local implementation
 * (`ContractApi<C>`), so its consumers do not change. Each call validates its input against the contract before
 * sending and the answer after receiving; times out per attempt; retries timeouts, network errors and 502/503/504
 * only for methods marked `idempotent` (a non-idempotent call that timed out may have taken effect); rethrows a
 * problem+json answer as the AppError the local call would have thrown (same kind, code, message and details); and
 * carries the caller's W3C trace context (`traceparent`) in the request headers.
 */
export function createRemoteApi<C extends Contract>(contract: C, options: RemoteClientOptions): ContractApi<C> {
  const api: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [method, definition] of Object.entries(contract.methods)) {
    api[method] = remoteMethod(contract.module, method, definition, options);
  }
  return api as ContractApi<C>;
}

function remoteMethod(module: string, method: string, definition: ContractMethod, options: RemoteClientOptions): (input: unknown) => Promise<unknown> {
  const name = `${module}.${method}`;
  const path = contractMethodPath(module, method);
  const url = `${options.baseUrl}${path}`;
  const input = Compile(definition.input);
  const output = Compile(definition.output);
  const attempts = 1 + (definition.idempotent ? options.retries : 0);
  const backoffMs = options.backoffMs ?? 50;

  const attempt = (body: string, number: number) =>
    inSpan(`POST ${path}`, { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'POST', 'url.full': url, 'seams.module': module, 'seams.method': method, 'seams.attempt': number } }, async () => {
      const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${options.serviceToken}` };
      // Node's fetch is not instrumented by our SDK, so the trace context is injected here, from the active span.
      propagation.inject(context.active(), headers);
      let status: number;
      let contentType: string;
      let text: string;
      try {
        const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(options.timeoutMs) });
        status = response.status;
        contentType = response.headers.get('content-type') ?? '';
        text = await response.text();
      } catch (error) {
        const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : networkReason(error);
        throw transient(new AppError('unavailable', MODULE_UNAVAILABLE, `Module "${module}" did not answer ${method} (${reason})`, { cause: error }));
      }
      if (status === 200) return parseOutput(text);
      throw answerError(status, contentType, text);
    });

  const parseOutput = (text: string): unknown => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new RemoteCallError('REMOTE_OUTPUT_INVALID', `${name} at ${url} answered 200 with a body that is not JSON`, { cause: error });
    }
    if (!output.Check(value)) throw new RemoteCallError('REMOTE_OUTPUT_INVALID', `${name} at ${url} answered with output that does not match its contract: ${describe(output.Errors(value))}`);
    return value;
  };

  const answerError = (status: number, contentType: string, text: string): Error => {
    const body = contentType.startsWith(PROBLEM_CONTENT_TYPE) ? parseProblem(text) : undefined;
    if (body?.code === SERVICE_TOKEN_REQUIRED || body?.code === SERVICE_TOKEN_INVALID) {
      return new RemoteCallError(
        'REMOTE_REFUSED',
        `${url} refused our service token (${status} ${body.code}): every process must have the same SERVICE_TOKEN`,
      );
    }
    if (status === 404 && body?.code === 'ROUTE_NOT_FOUND') {
      return new RemoteCallError(
        'REMOTE_REFUSED',
        `${options.baseUrl} does not serve ${name}: REMOTE_MODULES must point "${module}" at a process whose MODULES includes it`,
      );
    }
    const kind = KIND_BY_STATUS.get(status);
    if (body && kind) {
      const details = Object.fromEntries(Object.entries(body).filter(([member]) => !PROBLEM_MEMBERS.has(member)));
      const error = new AppError(kind, body.code, body.detail ?? body.title ?? body.code, {
        ...(Object.keys(details).length > 0 ? { details } : {}),
        cause: new Error(`${name} at ${url} answered ${status}${body.requestId ? ` (request id ${body.requestId})` : ''}`),
      });
      return TRANSIENT_STATUSES.has(status) ? transient(error) : error;
    }
    if (TRANSIENT_STATUSES.has(status)) return transient(new AppError('unavailable', MODULE_UNAVAILABLE, `Module "${module}" did not answer ${method} (HTTP ${status})`));
    return new RemoteCallError(
      'REMOTE_FAILED',
      `${name} at ${url} failed with ${status}${body ? ` ${body.code}${body.requestId ? ` (request id ${body.requestId}; its log has the cause)` : ''}` : ''}`,
    );
  };

  return async (value) => {
    if (!input.Check(value)) throw new RemoteCallError('REMOTE_INPUT_INVALID', `Input of ${name} does not match its contract: ${describe(input.Errors(value))}`);
    const body = JSON.stringify(value);
    for (let number = 1; ; number++) {
      try {
        return await attempt(body, number);
      } catch (error) {
        if (!transientErrors.has(error as Error) || number >= attempts) throw error;
        options.logger?.warn({ err: error, module, method, attempt: number, of: attempts }, 'remote module call failed; retrying');
        await sleep(Math.random() * backoffMs * 2 ** (number - 1));
      }
    }
  };
}

const transientErrors = new WeakSet<Error>();

/** Marks a failure that another attempt may not meet. */
function transient<E extends Error>(error: E): E {
  transientErrors.add(error);
  return error;
}

interface ProblemBody {
  code: string;
  status?: number;
  title?: string;
  detail?: string;
  requestId?: string;
  [member: string]: unknown;
}

function parseProblem(text: string): ProblemBody | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object' && typeof (body as { code?: unknown }).code === 'string') return body as ProblemBody;
  } catch {
    // not JSON after all: treated as an answer without a problem body
  }
  return undefined;
}

/** `connect ECONNREFUSED 127.0.0.1:4001`, from the error undici wraps in "fetch failed". */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  return typeof cause?.message === 'string' ? cause.message : error instanceof Error ? error.message : String(error);
}

function describe(errors: Iterable<{ instancePath: string; message: string }>): string {
  const lines = [...errors].slice(0, 5).map((error) => `${error.instancePath || '/'} ${error.message}`);
  return lines.join('; ');
}
