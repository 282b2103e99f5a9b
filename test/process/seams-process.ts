import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ConfigSchema } from '#platform/config.ts';
import { checkLogLine, outputProblems } from '../support/log-lines.ts';
import { signToken } from '../support/shop-client.ts';

/**
 * Runs Seams as a person would with `npm start`: the start script's node command in the project folder, configured by
 * environment variables only, read through its stdout (JSON log lines), stderr and exit code.
 */

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The arguments of package.json's `start` script (e.g. `node --import ./src/telemetry.ts src/main.ts`), run with this
 * process' node rather than through npm, so that signals reach the app itself and its pid is the one to watch.
 */
function startArguments(): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts: { start: string } };
  // The script runs the Node version preflight first (`node scripts/preflight.cjs && node …`); the app is the last part.
  const [command, ...args] = scripts.start.split('&&').at(-1)!.trim().split(/\s+/);
  if (command !== 'node') throw new Error(`package.json's start script does not run node directly: ${scripts.start}`);
  return args;
}

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Date.now() when the process had exited. */
  readonly at: number;
}

export interface SeamsProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every stdout line that parsed as JSON, in order. */
  readonly lines: LogLine[];
  readonly output: { stdout: string; stderr: string };
  readonly exited: Promise<Exit>;
  /** Resolves with the first log line (seen so far or later) that matches; rejects on exit or timeout. */
  waitForLine(matches: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the match once stderr (all of it so far) matches; rejects on exit or timeout. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

export interface RunningSeams extends SeamsProcess {
  /** Where the app said it listens, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
}

const running = new Set<ChildProcess>();
/** Node's warnings of things that will break (pg's "client is already executing a query", a leaking listener). */
const NODE_WARNING = /^.*\b(?:Deprecation|MaxListenersExceeded)Warning\b.*$/gm;

/** What to run: by default `npm start`'s command in the project folder; the process tests of the binary run that. */
export interface SeamsCommand {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Start from an empty environment (as `env -i` does) instead of this process' one. */
  readonly cleanEnv?: boolean;
}

const npmStart = (): SeamsCommand => ({ file: process.execPath, args: startArguments(), cwd: projectRoot });

/**
 * The start command with `env` on top of this process' environment, from which every Seams setting is removed first so
 * that the test alone decides them. Logs at info, on a port the OS picks, unless `env` says otherwise.
 */
export function spawnSeams(env: Record<string, string>, command: SeamsCommand = npmStart()): SeamsProcess {
  const base: Record<string, string | undefined> = command.cleanEnv ? {} : { ...process.env };
  for (const name of Object.keys(ConfigSchema.properties)) delete base[name];
  const child = spawn(command.file, command.args, {
    cwd: command.cwd,
    env: { ...base, LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: LogLine[] = [];
  const output = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (text) => {
    output.stdout += `${text}\n`;
    // What looks like a log line must be one: strict JSON, no key twice (checked after each test).
    if (text.startsWith('{')) checkLogLine(text, `seams process ${child.pid} stdout`);
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      return; // not a log line
    }
    for (const wake of waiters) wake();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString();
    for (const warning of chunk.toString().match(NODE_WARNING) ?? []) outputProblems.push(`seams process ${child.pid} stderr: ${warning}`);
    for (const wake of waiters) wake();
  });
  // Set on 'close', when all output has been read: 'exit' can come before the last stderr chunk.
  let hasExited = false;
  const exited = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => {
      hasExited = true;
      running.delete(child);
      resolve({ code, signal, at: Date.now() });
      for (const wake of waiters) wake();
    });
  });

  /** Resolves when `found` returns something, checked now and on every new output; rejects on exit or timeout. */
  const waitUntil = <T>(found: () => T | undefined, what: string, timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`${what}: not within ${timeoutMs} ms.\n${describeOutput(output)}`)), timeoutMs);
      const check = () => {
        const result = found();
        if (result !== undefined) return finish(undefined, result);
        if (hasExited) {
          finish(new Error(`${what}: the process exited (code ${child.exitCode}, signal ${child.signalCode}) first.\n${describeOutput(output)}`));
        }
      };
      function finish(error: Error | undefined, result?: T) {
        clearTimeout(timer);
        waiters.delete(check);
        if (error) reject(error);
        else resolve(result!);
      }
      waiters.add(check);
      check();
    });

  const waitForLine = (matches: (line: LogLine) => boolean, timeoutMs = 30_000) => waitUntil(() => lines.find(matches), 'a matching log line', timeoutMs);
  const waitForStderr = (pattern: RegExp, timeoutMs = 30_000) =>
    waitUntil(() => output.stderr.match(pattern) ?? undefined, `stderr matching ${pattern}`, timeoutMs);

  return { child, pid: child.pid!, lines, output, exited, waitForLine, waitForStderr };
}

/** Spawns Seams and waits for the line that says where it listens. */
export async function startSeams(env: Record<string, string>, timeoutMs = 150_000, command?: SeamsCommand): Promise<RunningSeams> {
  const seams = spawnSeams(env, command);
  const listening = await seams.waitForLine((line) => typeof line.url === 'string' && line.msg?.startsWith('Seams is listening on ') === true, timeoutMs);
  const url = listening.url as string;
  return { ...seams, url, port: Number(new URL(url).port) };
}

/** A secret for JWT_SECRET, long enough for the config schema. */
export const TEST_JWT_SECRET = 'process-test-secret-of-at-least-32-characters';

/**
 * `Authorization` headers with a bearer token signed by `secret` (HS256), as an identity provider sharing the secret
 * would issue it: an admin's, who may create products.
 */
export function adminHeaders(secret = TEST_JWT_SECRET): Record<string, string> {
  return { authorization: `Bearer ${signToken({ sub: 'process-test-admin', roles: ['admin'] }, secret, 600)}` };
}

/** SIGKILLs every Seams process a test started and left running (a failed test must not leave servers behind). */
export async function killLeftovers(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGKILL');
      await closed;
    }),
  );
}

/** Rejects when the promise has not settled within `ms`. */
export async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Whether a TCP connection to the port is accepted right now. */
export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Polls until the condition holds; fails after `timeoutMs`. */
export async function eventually(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/**
 * Live PostgreSQL server processes of the cluster in `dataDir`: each one's working directory is the data directory, and
 * its executable is `postgres`. (Children retitle themselves, so their command lines do not tell.) Linux only.
 */
export async function postgresProcessesIn(dataDir: string): Promise<number[]> {
  const dir = await realpath(dataDir).catch(() => undefined);
  if (!dir) return [];
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const found = await Promise.all(
    pids.map(async (pid) => {
      const link = (name: string) => readlink(`/proc/${pid}/${name}`).catch(() => '');
      if ((await link('cwd')) !== dir || !path.basename(await link('exe')).startsWith('postgres')) return false;
      // A zombie has exited already; it only waits to be reaped.
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      return stat !== '' && stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
    }),
  );
  return pids.filter((_, index) => found[index]).map(Number);
}

function describeOutput(output: { stdout: string; stderr: string }): string {
  const tail = (text: string) => text.trimEnd().split('\n').slice(-20).join('\n');
  return `--- stdout (tail) ---\n${tail(output.stdout)}\n--- stderr (tail) ---\n${tail(output.stderr)}`;
}
