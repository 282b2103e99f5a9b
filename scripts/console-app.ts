/**
 * `npm start`'s program on the embedded PostgreSQL in a scratch DATA_DIR, as a newcomer's first start runs it, for the
 * scripts that drive the console in a browser (`npm run docs:console`, `npm run bench:console`). The start-up output
 * (stderr, where the token banner and the console link go) is kept so that callers can wait for what it prints.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildConsole } from './build-console.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The line of the start-up banner that carries the console's one-time sign-in link. */
export const CONSOLE_LINK = /Console \(signs you in as the local admin, once\): (\S+)/;

export interface ConsoleApp {
  readonly pid: number;
  /** Waits until the start-up output matches `pattern`; fails with that output if the app exits or `ms` pass first. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** Stops the app (SIGTERM, which also stops its PostgreSQL) and removes its scratch data. */
  stop(): Promise<void>;
}

/** Builds the console if its sources changed, then starts the app; `label` names its scratch folder. */
export async function startConsoleApp(label: string): Promise<ConsoleApp> {
  await buildConsole({ ifStale: true });
  const scratch = await mkdtemp(path.join(tmpdir(), `seams-${label}-`));
  const child = spawn(process.execPath, ['--import', './src/telemetry.ts', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', DATA_DIR: scratch, LOG_LEVEL: 'warn', DATABASE_URL: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    pid: child.pid!,
    async waitFor(pattern, ms = 180_000) {
      const until = Date.now() + ms;
      for (;;) {
        const match = pattern.exec(stderr);
        if (match) return match;
        if (Date.now() > until || child.exitCode !== null) throw new Error(`the app did not print ${pattern}:\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
