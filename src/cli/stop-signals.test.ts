import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';

/** A process whose graceful stop never ends, so that what a second signal does shows. */
const SCRIPT = `
import { onStopSignals } from ${JSON.stringify(path.resolve(import.meta.dirname, 'stop-signals.ts'))};
onStopSignals((signal) => process.stdout.write('stopping on ' + signal + '\\n'));
setInterval(() => undefined, 1000);
process.stdout.write('ready\\n');
`;

async function started() {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  while (!stdout.includes('ready')) await sleep(20);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe('stop signals', () => {
  it('one Ctrl-C delivered twice (terminal and node --watch) starts one graceful stop, and does not exit', async () => {
    const { child, output } = await started();

    child.kill('SIGINT');
    await sleep(50);
    child.kill('SIGINT');
    await sleep(300);

    expect(child.exitCode).toBeNull();
    expect(output().stdout).toBe('ready\nstopping on SIGINT\n');
    child.kill('SIGKILL');
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('a second %s later exits at once and quietly, with %i', async (signal, code) => {
    const { child, exited, output } = await started();

    child.kill(signal);
    await sleep(1200);
    child.kill(signal);
    const [exitCode] = await exited;

    expect(exitCode).toBe(code);
    expect(output()).toEqual({ stdout: `ready\nstopping on ${signal}\n`, stderr: '' });
  });

  it("`npm run dev` sends stderr (the token banner) through pino-pretty's pipe too, so it prints after the log lines before it", () => {
    const { scripts } = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { scripts: { dev: string } };

    expect(scripts.dev).toMatch(/ 2>&1 \| pino-pretty$/);
  });
});
