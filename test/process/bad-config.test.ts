import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { moduleNames } from '../../src/modules.ts';
import { killLeftovers, spawnSeams, within } from './seams-process.ts';

/** A bad setting must stop `npm start` at once, before anything is started, with a message a person can act on. */

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'seams-bad-config-'));
});
afterEach(killLeftovers);
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

// One process at a time: side by side on a busy 2-core machine, they mostly measure the load.
describe('start-up with a bad setting', () => {
  it.each([
    ['PORT=abc', { PORT: 'abc' }, 'an integer from 0 to 65535'],
    ['PORT=70000', { PORT: '70000' }, 'an integer from 0 to 65535'],
    ['MODULES=nope', { MODULES: 'nope' }, `unknown module "nope"; expected "all" or a comma-separated list of ${moduleNames.join(', ')}`],
    ['LOG_LEVEL=loud', { LOG_LEVEL: 'loud' }, 'one of fatal, error, warn, info, debug, trace, silent'],
    ['DATABASE_URL=mysql://db', { DATABASE_URL: 'mysql://db' }, 'a string matching /^postgres(ql)?:'],
  ])('%s: exits non-zero before starting anything, naming the variable, the value and what is allowed', async (_case, env, allowed) => {
    const dataDir = path.join(scratch, 'never-created');
    const seams = spawnSeams({ ...env, DATA_DIR: dataDir });

    // About a second on an idle machine, all of it Node's start-up and imports. No tighter bound here: a busy 2-core
    // machine stretches that many times over. What shows the start-up stopped at once is that nothing was started.
    const exit = await within(60_000, seams.exited, 'exit after a bad setting');

    expect(exit.code, seams.output.stderr).not.toBe(0);
    expect(exit.code).toBe(78); // EX_CONFIG
    const [[name, value]] = Object.entries(env) as [[string, string]];
    expect(seams.output.stderr).toMatch(mentionOf(name, value));
    expect(seams.output.stderr).toContain(allowed);
    expect(seams.output.stderr).toContain('README.md');
    // Nothing was started: no embedded PostgreSQL, no data directory.
    await expect(stat(dataDir)).rejects.toThrow();
    expect(seams.lines).toEqual([]);
  }, 90_000);

  it('DATABASE_URL without JWT_SECRET: exits non-zero at once, naming JWT_SECRET', async () => {
    // Nothing listens on port 1: the process must stop before it tries to connect.
    const seams = spawnSeams({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', DATA_DIR: path.join(scratch, 'never-created') });

    const exit = await within(60_000, seams.exited, 'exit without JWT_SECRET');

    expect(exit.code).toBe(78);
    expect(seams.output.stderr).toContain('JWT_SECRET is not set');
    expect(seams.output.stderr).toContain('at least 32 characters');
  }, 90_000);

  it('MODULES=ordering with nothing remote: exits 78 before starting anything, naming each module it needs and how to reach it', async () => {
    const dataDir = path.join(scratch, 'never-created');
    const seams = spawnSeams({ MODULES: 'ordering', SERVICE_TOKEN: 'a-service-token-of-at-least-32-characters', DATA_DIR: dataDir });

    const exit = await within(60_000, seams.exited, 'exit with a module it cannot reach');

    expect(exit.code, seams.output.stderr).toBe(78);
    for (const needed of ['catalog', 'inventory', 'payments']) {
      expect(seams.output.stderr).toContain(`"${needed}" (needed by "ordering"): add it to MODULES, or to REMOTE_MODULES as ${needed}=http://`);
    }
    await expect(stat(dataDir)).rejects.toThrow();
  }, 90_000);

  it('reports every bad variable at once, not just the first', async () => {
    const seams = spawnSeams({ PORT: 'abc', DB_POOL_MAX: '0', DATA_DIR: path.join(scratch, 'never-created') });

    const exit = await within(60_000, seams.exited, 'exit after bad settings');

    expect(exit.code).toBe(78);
    expect(seams.output.stderr).toMatch(mentionOf('PORT', 'abc'));
    expect(seams.output.stderr).toMatch(mentionOf('DB_POOL_MAX', '0'));
  }, 90_000);
});

/** `NAME=value` or `NAME="value"` at the start of a problem line. */
function mentionOf(name: string, value: string): RegExp {
  const escaped = value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^  - ${name}=("${escaped}"|${escaped}) is not allowed`, 'm');
}
