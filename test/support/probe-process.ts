import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = path.resolve(here, '../..');
const entry = path.join(here, 'probe-instance.ts');

/** A line a probe instance printed (see probe-instance.ts). */
export interface ProbeLine {
  readonly probe: string;
  readonly instance: string;
  readonly count?: number;
  readonly published?: number;
  readonly invocations?: Record<string, number>;
  readonly [field: string]: unknown;
}

const running = new Set<ProbeProcess>();

/**
 * An app instance with probe modules in a child process of its own (the Node binary running the tests, so Node 24
 * with type stripping). Every one started is killed by {@link killAllProbeProcesses}; call it in afterAll.
 */
export class ProbeProcess {
  readonly name: string;
  readonly lines: ProbeLine[] = [];
  /** Resolves when the process has exited, however. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #child: ChildProcessWithoutNullStreams;
  #stderr = '';
  #stdoutTail = '';
  #listeners = new Set<() => void>();
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(name: string, env: Record<string, string>) {
    this.name = name;
    const inherited = { ...process.env };
    // Whatever the test runner put there (loaders, inspectors) is not for the app.
    delete inherited.NODE_OPTIONS;
    this.#child = spawn(process.execPath, [entry], {
      cwd: projectRoot,
      env: { ...inherited, PROBE_INSTANCE: name, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    running.add(this);
    this.#child.stdout.setEncoding('utf8');
    this.#child.stdout.on('data', (chunk: string) => {
      const text = this.#stdoutTail + chunk;
      const parts = text.split('\n');
      this.#stdoutTail = parts.pop() ?? '';
      for (const part of parts) {
        if (!part.startsWith('{')) continue;
        try {
          const line = JSON.parse(part) as ProbeLine;
          if (typeof line.probe === 'string') this.lines.push(line);
        } catch {
          // Not one of ours.
        }
      }
      this.#notify();
    });
    this.#child.stderr.setEncoding('utf8');
    this.#child.stderr.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-8000);
    });
    // A child that died keeps its stdin pipe; writing to it must not crash the test.
    this.#child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.#child.on('exit', (code, signal) => {
        this.#exit = { code, signal };
        running.delete(this);
        this.#notify();
        resolve({ code, signal });
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** The last line of a kind, if any. */
  last(probe: string): ProbeLine | undefined {
    return this.lines.findLast((line) => line.probe === probe);
  }

  /** Waits for a line that satisfies `predicate`; fails early, with the child's stderr, if the child exits first. */
  async waitForLine(predicate: (line: ProbeLine) => boolean, timeoutMs = 20_000): Promise<ProbeLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(predicate);
      if (found) return found;
      if (this.#exit) throw new Error(`${this.name} exited (${JSON.stringify(this.#exit)}) before the expected line. stderr:\n${this.#stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: expected line not seen in ${timeoutMs} ms. Lines: ${JSON.stringify(this.lines.slice(-5))}\nstderr:\n${this.#stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 250));
        const listener = () => done();
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#listeners.add(listener);
        void this.exited.then(listener);
      });
    }
  }

  ready(timeoutMs = 20_000): Promise<ProbeLine> {
    return this.waitForLine((line) => line.probe === 'ready', timeoutMs);
  }

  send(command: string): void {
    if (!this.#exit) this.#child.stdin.write(`${command}\n`);
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.#exit) this.#child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not gone after `graceMs`. Resolves with how it exited. */
  async stop(graceMs = 5000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.#exit) return this.#exit;
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  #notify(): void {
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) listener();
  }
}

/** Kills every probe process still running (SIGKILL after a short grace), whatever state the test left them in. */
export async function killAllProbeProcesses(graceMs = 3000): Promise<void> {
  await Promise.all([...running].map((child) => child.stop(graceMs)));
}

// Last resort: a test process that exits without afterAll (a crash, a timeout) leaves no instance behind. The children
// also stop on their own when their stdin closes.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
