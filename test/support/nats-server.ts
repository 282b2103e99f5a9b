import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The NATS server this machine runs for CI (see .ci and the issue: "this machine kind runs NATS on 127.0.0.1:4222"). */
const SHARED_URL = 'nats://127.0.0.1:4222';

export interface TestNats {
  /** Where to connect; undefined when skipped. */
  readonly url: string | undefined;
  /** Why there is no NATS for this run, in plain words; undefined when there is one. */
  readonly skipped: string | undefined;
  /** Stops the server if the test started it; the shared one is left alone. */
  stop(): Promise<void>;
}

/**
 * A NATS JetStream server for a test: the machine's one on 127.0.0.1:4222 when it answers, else one of the test's
 * own if `nats-server` is on PATH, else none, with the reason in `skipped`.
 *
 * With `own: true` the test always gets a server of its own when the binary is there (fixed stream names, such as the
 * shop's `SEAMS_PAYMENTS`, then never meet another run's streams and consumers); the shared one is the fallback.
 */
export async function natsForTests(options: { own?: boolean } = {}): Promise<TestNats> {
  const binary = natsServerBinary();
  if (options.own && binary) return OwnNatsServer.start(binary);
  if (await answersWithJetStream(SHARED_URL)) return { url: SHARED_URL, skipped: undefined, stop: async () => undefined };
  if (binary) return OwnNatsServer.start(binary);
  return {
    url: undefined,
    skipped: `no NATS JetStream server answers on ${SHARED_URL} and no nats-server binary is on PATH (install nats-server to run this test)`,
    stop: async () => undefined,
  };
}

/** The path of `nats-server`, if installed. */
export function natsServerBinary(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const bin = found.stdout.trim();
  return found.status === 0 && bin ? bin : undefined;
}

/**
 * A `nats-server -js` of the test's own, on a free port with a fresh store directory. It can be stopped and started
 * again on the same port and store (what an outage looks like to the clients), and is removed with {@link stop}.
 */
export class OwnNatsServer implements TestNats {
  readonly url: string;
  readonly skipped = undefined;
  readonly port: number;
  readonly storeDir: string;
  readonly #binary: string;
  #child: ChildProcess | undefined;
  #log = '';

  private constructor(binary: string, port: number, storeDir: string) {
    this.#binary = binary;
    this.port = port;
    this.storeDir = storeDir;
    this.url = `nats://127.0.0.1:${port}`;
  }

  static async start(binary = natsServerBinary()): Promise<OwnNatsServer> {
    if (!binary) throw new Error('nats-server is not on PATH');
    const server = new OwnNatsServer(binary, await freePort(), mkdtempSync(path.join(os.tmpdir(), 'seams-nats-')));
    await server.resume();
    return server;
  }

  /** Starts the server (again), on the same port and store directory; resolves when it answers. */
  async resume(): Promise<void> {
    if (this.#child) return;
    const child = spawn(this.#binary, ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    const keep = (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
    const deadline = Date.now() + 15_000;
    while (!(await answersWithJetStream(this.url))) {
      if (!this.#child) throw new Error(`nats-server exited at start-up:\n${this.#log}`);
      if (Date.now() > deadline) throw new Error(`nats-server did not answer on ${this.url} within 15 s:\n${this.#log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops the server as an outage would (SIGKILL: no goodbye to the clients); the store stays for {@link resume}. */
  async pause(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.pause();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

/** True when a NATS server with JetStream answers at `url` (its INFO line says so). */
export function answersWithJetStream(url: string, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url.replace(/^nats:/, 'http:'));
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 4222) });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      const line = data.split('\r\n')[0] ?? '';
      if (data.includes('\r\n')) done(line.startsWith('INFO ') && /"jetstream":\s*true/.test(line));
    });
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
