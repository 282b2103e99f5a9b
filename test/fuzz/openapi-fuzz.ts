import fc from 'fast-check';
import type { ModuleRouter } from '#platform/http/module-router.ts';
import { signToken } from '../support/shop-client.ts';

/**
 * A property-based fuzz of every route in the app's own OpenAPI document (/docs/json), with fast-check. Each run picks
 * an operation and sends it parameters, a body, headers and a token that are valid, mutated or hostile. The property:
 * no 5xx but a deliberate 503, every 4xx is problem+json with its status and a code. `npm test` runs it briefly
 * (openapi.test.ts); `npm run fuzz -- --runs N --seed S` runs it long (scripts/fuzz.ts).
 */

type Schema = Record<string, unknown>;
interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required?: boolean;
  readonly schema?: Schema;
}
interface Operation {
  readonly method: string;
  readonly path: string;
  readonly parameters: readonly Parameter[];
  readonly body: Schema | undefined;
}
export interface FuzzRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload?: string;
}

/** 503 codes the app answers on purpose: a dependency that is away, said so. Anything else 5xx is a bug. */
const DELIBERATE_503 = new Set(['DATABASE_UNAVAILABLE', 'NOT_READY', 'MODULE_UNAVAILABLE', 'IDENTITY_PROVIDER_UNAVAILABLE', 'CONSOLE_NOT_BUILT']);

/** Every operation in the app's OpenAPI document. */
export async function operationsOf(app: ModuleRouter): Promise<Operation[]> {
  const response = await app.inject({ method: 'GET', url: '/docs/json' });
  const document = response.json<{ paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: Schema }> } }>> }>();
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      operations.push({ method: method.toUpperCase(), path, parameters: operation.parameters ?? [], body: operation.requestBody?.content?.['application/json']?.schema });
    }
  }
  return operations;
}

/** Strings that have broken web apps: injections, traversal, control and odd Unicode characters, huge ones. */
const hostileString = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    "' OR 1=1 --",
    '"; drop table orders; --',
    '../../../../etc/passwd',
    '%00',
    '%zz',
    '<script>alert(1)</script>',
    '${jndi:ldap://x}',
    '{{7*7}}',
    '__proto__',
    'constructor',
    '\uD800',
    '\u202E',
    'NaN',
    '-0',
    '1e309',
    '9'.repeat(400),
    'x'.repeat(10_000),
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(null, true, false, 0, -1, 1.5, Number.MAX_SAFE_INTEGER + 2, -1e308, 1e308, [], {}, [null], { __proto__: { admin: true } }),
  fc.integer(),
  fc.double(),
);

/** A value the schema accepts (as far as this generator knows schemas: what TypeBox emits for our routes). */
export function valid(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 6) return fc.constant(null);
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const options = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(options) && options.length > 0) return fc.oneof(...options.map((option) => valid(option, depth + 1)));
  const type = Array.isArray(schema.type) ? (schema.type as string[])[0] : (schema.type as string | undefined);
  switch (type) {
    case 'string': {
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((date) => date.toISOString());
      if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= Number(schema.minLength ?? 0) && s.length <= Number(schema.maxLength ?? Infinity));
      return fc.string({ minLength: Number(schema.minLength ?? 0), maxLength: Math.min(Number(schema.maxLength ?? 30), 60) });
    }
    case 'integer':
      return fc.integer({ min: Number(schema.minimum ?? -1000), max: Number(schema.maximum ?? 100_000) });
    case 'number':
      return fc.double({ min: Number(schema.minimum ?? -1e6), max: Number(schema.maximum ?? 1e6), noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const items = valid(schema.items as Schema | undefined, depth + 1);
      return fc.array(items, { minLength: Number(schema.minItems ?? 0), maxLength: Math.min(Number(schema.maxItems ?? 4), 6) });
    }
    case 'object':
    default: {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = new Set((schema.required ?? []) as string[]);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, property] of Object.entries(properties)) record[name] = valid(property, depth + 1);
      return fc.record(record, { requiredKeys: Object.keys(properties).filter((name) => required.has(name)) });
    }
  }
}

/** A valid value, or one with a field dropped, added, or replaced by something hostile. */
function mutated(schema: Schema | undefined): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: valid(schema) },
    { weight: 1, arbitrary: hostileValue },
    {
      weight: 2,
      arbitrary: fc.tuple(valid(schema), fc.string({ maxLength: 12 }), hostileValue, fc.boolean()).map(([value, key, replacement, drop]) => {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return replacement;
        const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
        const keys = Object.keys(copy);
        const target = keys.length > 0 && drop ? keys[key.length % keys.length]! : key;
        if (drop && keys.length > 0) delete copy[target];
        else copy[target] = replacement;
        return copy;
      }),
    },
  );
}

/** Bearer tokens a client might send: good ones, and every kind of bad one. */
function tokens(secret: string): fc.Arbitrary<string | undefined> {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return fc.oneof(
    fc.constant(undefined),
    fc.string({ maxLength: 20 }).map((sub) => signToken({ sub: `fuzz-${sub}`, roles: [] }, secret)),
    fc.constant(signToken({ sub: 'fuzz-admin', roles: ['admin'] }, secret)),
    fc.constant(signToken({ sub: 'fuzz-old', roles: [] }, secret, -3600)),
    fc.constant(signToken({ sub: '', roles: ['admin'] }, secret)),
    fc.constant(signToken({ sub: 'fuzz', roles: ['admin'] }, 'another-secret-that-is-long-enough-32+')),
    fc.constant(`${b64({ alg: 'none' })}.${b64({ sub: 'root', roles: ['admin'], iat: now, exp: now + 60 })}.`),
    fc.constant(`${b64({ alg: 'HS256' })}.${b64({ sub: 'no-exp', roles: ['admin'] })}.xxxx`),
    hostileString,
    fc.string({ maxLength: 200 }).map((junk) => `${b64({ alg: 'RS256', kid: junk })}.${b64({ sub: junk })}.${junk}`),
  );
}

/** One request to an operation: path and query parameters, headers, token and body, each valid or not. */
export function requests(operations: readonly Operation[], secret: string): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...operations).chain((operation) => {
    const parameter = (p: Parameter) => fc.option(mutated(p.schema), { nil: undefined, freq: p.required ? 20 : 3 });
    return fc
      .record({
        path: fc.tuple(...operation.parameters.filter((p) => p.in === 'path').map(parameter), fc.constant(0)),
        query: fc.tuple(...operation.parameters.filter((p) => p.in === 'query').map(parameter), fc.constant(0)),
        header: fc.tuple(...operation.parameters.filter((p) => p.in === 'header').map(parameter), fc.constant(0)),
        token: tokens(secret),
        body: operation.body ? fc.option(mutated(operation.body), { nil: undefined, freq: 10 }) : fc.constant(undefined),
        contentType: fc.constantFrom('application/json', 'application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', ''),
        rawBody: fc.option(
          fc.oneof(
            fc.constantFrom('{', '{"a":', 'null', '[]', '""', '\u0000', '{"__proto__":{"x":1}}', ' '.repeat(2000)),
            // Deeply nested bodies, as text: a parser or validator that recurses must not fall over.
            fc.integer({ min: 50, max: 20_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
            fc.integer({ min: 50, max: 20_000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
          ),
          { freq: 8 },
        ),
        extraHeaders: fc.dictionary(fc.constantFrom('x-request-id', 'idempotency-key', 'traceparent', 'accept', 'x-forwarded-for'), hostileString.filter(isHeaderSafe), { maxKeys: 3 }),
        raw: fc.boolean(),
      })
      .map(({ path, query, header, token, body, contentType, rawBody, extraHeaders, raw }) => {
        const pathParameters = operation.parameters.filter((p) => p.in === 'path');
        let url = operation.path;
        pathParameters.forEach((p, i) => {
          const value = path[i] === undefined ? '' : String(typeof path[i] === 'object' ? JSON.stringify(path[i]) : path[i]);
          url = url.replace(`{${p.name}}`, raw ? value.replace(/[\s#?/]/g, '') : encodeURIComponent(value.toWellFormed()));
        });
        const search = new URLSearchParams();
        operation.parameters.filter((p) => p.in === 'query').forEach((p, i) => {
          if (query[i] !== undefined) search.set(p.name, typeof query[i] === 'object' ? JSON.stringify(query[i]) : String(query[i]));
        });
        const headers: Record<string, string> = { ...extraHeaders };
        operation.parameters.filter((p) => p.in === 'header').forEach((p, i) => {
          const value = header[i] === undefined ? undefined : String(header[i]);
          if (value !== undefined && isHeaderSafe(value)) headers[p.name] = value;
        });
        if (token !== undefined && isHeaderSafe(token)) headers.authorization = `Bearer ${token}`;
        const payload = rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
        if (payload !== undefined && contentType !== '') headers['content-type'] = contentType;
        const query_ = search.toString();
        return { method: operation.method, url: query_ ? `${url}?${query_}` : url, headers, ...(payload === undefined ? {} : { payload }) };
      });
  });
}

/** A value a client can put in a header at all (HTTP forbids control characters and non-Latin-1 there). */
function isHeaderSafe(value: string): boolean {
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(value);
}

/** What is wrong with an answer, or undefined: a 5xx that is not a deliberate 503, or a 4xx that is not problem+json. */
export function answerProblem(response: { statusCode: number; headers: Record<string, unknown>; body: string }): string | undefined {
  const { statusCode: status } = response;
  if (status < 400) return undefined;
  const type = String(response.headers['content-type'] ?? '');
  let body: { status?: unknown; code?: unknown } | undefined;
  try {
    body = JSON.parse(response.body) as { status?: unknown; code?: unknown };
  } catch {
    body = undefined;
  }
  if (status >= 500 && !(status === 503 && DELIBERATE_503.has(String(body?.code)))) return `${status} ${response.body.slice(0, 500)}`;
  if (!type.startsWith('application/problem+json')) return `${status} with content-type ${type || 'none'}: ${response.body.slice(0, 300)}`;
  if (body?.status !== status || typeof body.code !== 'string') return `${status} problem body without its status or code: ${response.body.slice(0, 300)}`;
  return undefined;
}

/** The property: a request, whatever it is, gets a proper answer. */
export function fuzzProperty(app: ModuleRouter, operations: readonly Operation[], secret: string) {
  return fc.asyncProperty(requests(operations, secret), async (request) => {
    const response = await app.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, ...(request.payload === undefined ? {} : { payload: request.payload }) });
    const problem = answerProblem(response);
    if (problem) throw new Error(`${request.method} ${request.url.slice(0, 300)} answered ${problem}`);
  });
}
