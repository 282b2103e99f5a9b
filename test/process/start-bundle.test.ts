import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HEAP_FLAGS } from '../../src/cli/heap-flags.ts';

/**
 * `npm start` runs dist/app/seams.cjs through scripts/start.mjs, which builds it first when it is missing or older
 * than the sources. The launcher runs here for real, in a small project of its own: its two files copied, a
 * scripts/build-app.ts that writes a one-line bundle (and counts its builds), sources to change, and an empty
 * `esbuild` package in node_modules, which is how the launcher tells that the bundler is installed. The last test runs
 * the real launcher on this project, which builds the real bundle if needed.
 */

const root = path.resolve(import.meta.dirname, '../..');
let project: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], cwd: string, nodeFlags: readonly string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...nodeFlags, file, ...args], { cwd, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

const start = (...args: string[]) => run(path.join(project, 'scripts/start.mjs'), args, project);
const builds = async () => (await readFile(path.join(project, 'builds.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

/** A build script for the small project: BUILD_FAILS in its source makes it fail, as a compile error would. */
const buildScript = (fails: boolean) => `
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { APP_BUNDLE, STAMP_FILE, bundleFingerprint } from './app-bundle-freshness.mjs';
appendFileSync('builds.log', 'built\\n');
${fails ? "console.error('src/main.ts:1:7: ERROR: Expected \";\" but found \"broken\"'); process.exit(1);" : ''}
const fingerprint = bundleFingerprint(process.cwd());
mkdirSync('dist/app', { recursive: true });
writeFileSync(APP_BUNDLE, 'console.log(JSON.stringify({ ran: "bundle", args: process.argv.slice(2) }));');
writeFileSync(STAMP_FILE, JSON.stringify({ fingerprint, node: process.version }));
`;

beforeEach(async () => {
  project = await mkdtemp(path.join(tmpdir(), 'seams-start-bundle-'));
  await mkdir(path.join(project, 'scripts'));
  await mkdir(path.join(project, 'src'));
  for (const file of ['start.mjs', 'app-bundle-freshness.mjs']) await copyFile(path.join(root, 'scripts', file), path.join(project, 'scripts', file));
  await writeFile(path.join(project, 'scripts/build-app.ts'), buildScript(false));
  await writeFile(path.join(project, 'src/main.ts'), 'console.log(JSON.stringify({ ran: "sources", args: process.argv.slice(2), telemetry: globalThis.telemetryFirst }));\n');
  await writeFile(path.join(project, 'src/telemetry.ts'), 'globalThis.telemetryFirst = true;\n');
  await writeFile(path.join(project, 'package.json'), '{ "type": "module" }\n');
  await mkdir(path.join(project, 'node_modules/esbuild'), { recursive: true });
  await writeFile(path.join(project, 'node_modules/esbuild/package.json'), '{ "name": "esbuild", "main": "index.js" }\n');
  await writeFile(path.join(project, 'node_modules/esbuild/index.js'), '\n');
});

afterEach(async () => {
  await rm(project, { recursive: true, force: true });
});

describe('npm start on a bundle (scripts/start.mjs)', { timeout: 120_000 }, () => {
  it('builds a missing bundle, then runs it with the command line; stdout keeps only what the app writes', async () => {
    const first = await start('migrate');
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ ran: 'bundle', args: ['migrate'] });
    expect(first.stderr).toContain('npm start: building dist/app/seams.cjs (dist/app/seams.cjs is missing)');
    expect(await builds()).toBe(1);
  });

  it('runs an up-to-date bundle without building it', async () => {
    await start();
    const again = await start();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe('');
    expect(await builds()).toBe(1);
  });

  it('rebuilds a stale bundle: a source edited, added or removed', async () => {
    await start();
    const later = new Date(Date.now() + 5_000);
    await utimes(path.join(project, 'src/main.ts'), later, later);
    const edited = await start();
    expect(edited.stderr).toContain('(the sources changed since it was built)');
    expect(await builds()).toBe(2);
    await writeFile(path.join(project, 'src/more.ts'), 'export {};\n');
    await start();
    expect(await builds()).toBe(3);
    await rm(path.join(project, 'src/more.ts'));
    const removed = await start();
    expect(removed.code, removed.stderr).toBe(0);
    expect(await builds()).toBe(4);
    // A test file is not in the bundle: changing one builds nothing.
    await writeFile(path.join(project, 'src/main.test.ts'), 'export {};\n');
    await start();
    expect(await builds()).toBe(4);
  });

  it('says plainly that the build failed, after its own output, and runs no old bundle', async () => {
    await start();
    await writeFile(path.join(project, 'scripts/build-app.ts'), buildScript(true));
    const failed = await start();
    expect(failed.code).toBe(70);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toContain('ERROR: Expected ";" but found "broken"');
    expect(failed.stderr).toContain('npm start: could not build dist/app/seams.cjs (scripts/build-app.ts): it exited with code 1. Its output is above.');
    expect(failed.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('says so when the build succeeds but leaves no up-to-date stamp', async () => {
    await writeFile(path.join(project, 'scripts/build-app.ts'), "console.log('built nothing');\n");
    const failed = await start();
    expect(failed.code).toBe(70);
    expect(failed.stderr).toContain('npm start: could not build dist/app/seams.cjs (scripts/build-app.ts): dist/app/seams.cjs is missing.');
  });

  it('runs the sources, saying so, when the bundle is stale and esbuild is not installed (npm ci --omit=dev)', async () => {
    await rm(path.join(project, 'node_modules'), { recursive: true });
    const result = await start('serve');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ ran: 'sources', args: ['serve'], telemetry: true });
    expect(result.stderr).toContain('npm start: running the sources, not dist/app/seams.cjs (dist/app/seams.cjs is missing, and esbuild, a dev dependency, is not installed to build it).');
    expect(await builds()).toBe(0);
  });

  it("this project's own bundle runs as npm start runs it (built first if stale)", async () => {
    const result = await run(path.join(root, 'scripts/start.mjs'), ['--version'], root, HEAP_FLAGS);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^seams \d+\.\d+\.\d+ \(commit \S+, Node\.js /);
  });
});
