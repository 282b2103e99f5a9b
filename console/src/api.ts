import { session } from './session.ts';

/** A problem+json answer (or a network failure), with the server's message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, message: string, code?: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls the app's JSON API with the session's token. A 401 ends the session: the token expired or was revoked. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = session.token();
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method: init.method ?? 'GET', headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
  const text = await response.text();
  const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!response.ok) {
    if (response.status === 401 && token) session.end('Your session ended (the token is no longer accepted). Sign in again.');
    throw new ApiError(response.status, typeof body.detail === 'string' ? body.detail : typeof body.title === 'string' ? body.title : response.statusText, typeof body.code === 'string' ? body.code : undefined);
  }
  return body as T;
}
