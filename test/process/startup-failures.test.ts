import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { killLeftovers, spawnSeams, TEST_JWT_SECRET, within } from './seams-process.ts';

/**
 * Start-up failures a person causes outside the configuration's syntax: a port another program holds, a database
 * server that does not answer, refuses the user or lacks the database. Each ends at once with one plain-text message
 * that names the fix, its own exit code (sysexits.h), and no stack trace unless LOG_LEVEL=debug.
 */

let taken: Server;
let takenPort: number;
let closedPort: number;
let server: URL;

beforeAll(async () => {
  taken = createServer().listen(0, '127.0.0.1');
  await once(taken, 'listening');
  takenPort = (taken.address() as { port: number }).port;
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  closedPort = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  server = new URL(inject('serverUrl'));
});
afterAll(async () => {
  await killLeftovers();
  await new Promise((resolve) => taken.close(resolve));
});

const withUrl = (change: (url: URL) => void) => {
  const url = new URL(server);
  change(url);
  return url.toString();
};

async function failedStart(env: Record<string, string>) {
  const seams = spawnSeams({ JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'warn', ...env });
  const exit = await within(90_000, seams.exited, 'exit after a start-up failure');
  return { code: exit.code, stderr: seams.output.stderr, stdout: seams.output.stdout };
}

// Side by side: each process ends by itself within seconds (a failed test's is killed in afterAll, not afterEach,
// which would kill its neighbours').
describe('a start-up failure a person can fix', { timeout: 120_000, concurrent: true }, () => {
  it('a port that another program listens on: exit 75, naming the port and PORT', async () => {
    const result = await failedStart({ DATABASE_URL: inject('databaseUrl'), PORT: String(takenPort) });

    expect(result.code, result.stderr).toBe(75);
    expect(result.stderr).toContain(`Cannot listen on port ${takenPort} on 127.0.0.1: another program already listens there (EADDRINUSE).`);
    expect(result.stderr).toContain('choose another port with PORT');
    expect(result.stderr + result.stdout).not.toMatch(/^\s+at /m);
  });

  it.each([
    ['a server that does not answer', () => withUrl((url) => (url.port = String(closedPort))), 68, 'Cannot reach the PostgreSQL server at 127.0.0.1:'],
    ['a user the server does not know', () => withUrl((url) => ((url.username = 'no_such_seams_user'), (url.password = 'x'))), 77, 'The PostgreSQL server refused the user of DATABASE_URL'],
    ['a database the server does not have', () => withUrl((url) => (url.pathname = '/no_such_seams_database')), 78, 'The PostgreSQL server has no such database: database "no_such_seams_database" does not exist. Create it'],
  ])('DATABASE_URL naming %s: its own exit code and the fix, no stack trace', async (_case, databaseUrl, code, message) => {
    const result = await failedStart({ DATABASE_URL: databaseUrl() });

    expect(result.code, result.stderr).toBe(code);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('DATABASE_URL');
    expect(result.stderr + result.stdout).not.toMatch(/^\s+at /m);
  });

  it('with LOG_LEVEL=debug, also logs the error with its stack', async () => {
    const result = await failedStart({ DATABASE_URL: withUrl((url) => (url.port = String(closedPort))), LOG_LEVEL: 'debug' });

    expect(result.code).toBe(68);
    expect(result.stdout).toContain('start-up failed');
    expect(result.stdout).toContain('ECONNREFUSED');
    expect(result.stdout).toMatch(/"stack":"Error: connect ECONNREFUSED/);
  });
});
