import { createHmac } from 'node:crypto';

/**
 * What the shop's end-to-end tests need from "the shop": send a request, sign a token. An app built in the test
 * process (`app.inject`, `app.jwt.sign`) is one; the split topology, reached over real HTTP through a small gateway
 * ({@link httpShopClient}), is another. The same scenarios then run against both.
 */
export interface ShopRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly payload?: unknown;
  readonly query?: Record<string, string>;
}

export interface ShopResponse {
  readonly statusCode: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | number | undefined>;
  json<T = any>(): T; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface ShopClient {
  inject(request: ShopRequest): Promise<ShopResponse>;
  readonly jwt: { sign(payload: { sub: string; roles: string[] }): string };
}

/** An HS256 bearer token, as an identity provider that shares JWT_SECRET with every process would issue it. */
export function signToken(payload: { sub: string; roles: string[] }, secret: string, ttlSeconds = 3600): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ ...payload, iat: now, exp: now + ttlSeconds })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/**
 * The shop over real HTTP: each request goes to the process `route` picks for its path, as a reverse proxy in front
 * of a split deployment would send it.
 */
export function httpShopClient(options: { route: (path: string) => string; jwtSecret: string }): ShopClient {
  return {
    jwt: { sign: (payload) => signToken(payload, options.jwtSecret) },
    async inject(request) {
      const url = new URL(request.url, options.route(request.url.split('?')[0]!));
      for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.set(name, value);
      const headers: Record<string, string> = { ...request.headers };
      if (request.payload !== undefined) headers['content-type'] ??= 'application/json';
      const response = await fetch(url, {
        method: request.method,
        headers,
        ...(request.payload === undefined ? {} : { body: JSON.stringify(request.payload) }),
      });
      const body = await response.text();
      return {
        statusCode: response.status,
        body,
        headers: Object.fromEntries(response.headers),
        json: () => JSON.parse(body),
      };
    },
  };
}
