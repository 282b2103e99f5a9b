import { execFile, execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * On a Node older than Seams needs, every command of the README stops at once with three plain lines: the version
 * found, the version needed, and the command that fixes it. The old Node is a real one: the first `node` on PATH (or
 * /usr/bin/node) that is older than package.json's engines.node, as on a machine that has not sourced node24.sh.
 */

const root = path.resolve(import.meta.dirname, '../..');
const oldNode = findOldNode();
const EX_UNAVAILABLE = 69;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: Record<string, string | undefined>, cwd = root): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: env as NodeJS.ProcessEnv, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

/** PATH with the old Node's folder first, and none of the version managers' variables that change the advice. */
function oldNodeEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const { NVM_DIR: _nvm, FNM_DIR: _fnm, FNM_MULTISHELL_PATH: _fnmPath, VOLTA_HOME: _volta, NODE_OPTIONS: _options, ...env } = process.env;
  return { ...env, PATH: `${path.dirname(oldNode!)}:${process.env.PATH ?? ''}`, ...extra };
}

function expectThreeLines(stderr: string, fix: string): void {
  const found = execFileSync(oldNode!, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '');
  const lines = stderr.trim().split('\n').filter((line) => line.startsWith('Seams') || line.startsWith('To fix it'));
  expect(lines, stderr).toEqual([
    `Seams: this is Node.js ${found}, which is too old.`,
    'Seams needs Node.js 22.18 or newer (it is tested on 24).',
    expect.stringContaining(`To fix it, run: ${fix}`),
  ]);
  expect(stderr).not.toContain('ERR_UNKNOWN_FILE_EXTENSION');
  expect(stderr).not.toMatch(/^\s+at /m); // no stack trace
}

describe.skipIf(!oldNode)(`on an old Node (${oldNode ?? 'none found'})`, () => {
  it.each([
    ['npm start', ['start']],
    ['npm test', ['test']],
    ['npm run dev', ['run', 'dev']],
    ['npm run migrate', ['run', 'migrate']],
  ])('%s stops at once with the version found, the version needed and `. scripts/node24.sh`', async (_name, args) => {
    const result = await run('npm', args, oldNodeEnv());

    expect(result.code, result.stderr).not.toBe(0);
    expectThreeLines(result.stderr, '. scripts/node24.sh');
    expect(result.stdout + result.stderr).not.toContain('RUN'); // vitest never started
  });

  it.each([
    ['nvm', { NVM_DIR: '/home/you/.nvm' }, 'nvm install'],
    ['fnm', { FNM_DIR: '/home/you/.fnm' }, 'fnm use --install-if-missing'],
    ['volta', { VOLTA_HOME: '/home/you/.volta' }, 'volta install node@24'],
  ])('under %s, names its command instead', async (_manager, env, fix) => {
    const result = await run(oldNode!, ['scripts/preflight.cjs'], oldNodeEnv(env));

    expect(result.code).toBe(EX_UNAVAILABLE);
    expectThreeLines(result.stderr, fix);
  });

  describe('npm ci', () => {
    let clone: string;
    beforeAll(async () => {
      clone = await mkdtemp(path.join(tmpdir(), 'seams-preflight-'));
      for (const file of ['package.json', 'package-lock.json', '.npmrc']) await copyFile(path.join(root, file), path.join(clone, file));
    });
    afterAll(async () => {
      await rm(clone, { recursive: true, force: true });
    });

    it('stops before installing anything (engine-strict), naming the Node needed and node24.sh', async () => {
      const result = await run('npm', ['ci', '--no-audit', '--no-fund'], oldNodeEnv({ npm_config_cache: path.join(clone, '.npm') }), clone);

      expect(result.code, result.stderr).not.toBe(0);
      expect(result.stderr).toContain('EBADENGINE');
      expect(result.stderr).toContain('"node":">=22.18"');
      expect(result.stderr).toContain('. scripts/node24.sh');
      expect(await readdir(clone)).not.toContain('node_modules');
    });
  });
});

describe('on the Node this runs on', () => {
  it('the preflight says nothing and lets the command go on', async () => {
    const result = await run(process.execPath, ['scripts/preflight.cjs'], process.env);

    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});

/** The first node on PATH, or /usr/bin/node, that is older than 22.18; undefined when this machine has none. */
function findOldNode(): string | undefined {
  const candidates = [...(process.env.PATH ?? '').split(':').map((dir) => path.join(dir, 'node')), '/usr/bin/node'];
  for (const candidate of candidates) {
    try {
      const [major = 0, minor = 0] = execFileSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim().split('.').map(Number);
      if (major < 22 || (major === 22 && minor < 18)) return candidate;
    } catch {
      // not there, or not a node
    }
  }
  return undefined;
}
