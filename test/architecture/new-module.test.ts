import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = 'scripts/new-module.ts';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end and reports how it ended, whatever the exit code. */
function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const output = (result: Run) => `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;

describe('npm run new:module refuses a bad name, says why, and writes nothing', () => {
  it.each([
    ['an existing module', 'catalog', /Module "catalog" already exists \(modules\/catalog\/ is there\)/],
    ['uppercase letters', 'Billing', /"Billing" has uppercase letters.*Use "billing" instead/],
    ['camelCase', 'orderNotes', /"orderNotes" has uppercase letters.*Use "order-notes" instead/],
    ['an underscore', 'order_notes', /"order_notes" is not kebab-case.*Use "order-notes" instead/],
    ['a leading digit', '2fa', /"2fa" is not kebab-case/],
    ['a doubled dash', 'order--notes', /"order--notes" is not kebab-case/],
    ['the MODULES keyword', 'all', /"all" is reserved: MODULES=all means "every module"/],
    ['the platform', 'platform', /"platform" is reserved: src\/platform is the framework/],
    ['a platform route', 'health', /"health" is reserved: the platform answers \/health\/live/],
    ["PostgreSQL's default schema", 'public', /"public" is reserved: PostgreSQL's default schema/],
    ['a technical role', 'shared', /"shared" is reserved: a module is a business capability/],
    ['a pg_ schema', 'pg-stats', /"pg-stats" is reserved: PostgreSQL keeps schema names starting with pg_/],
    ['an SQL reserved word', 'order', /"order" is a reserved word in SQL.*e\.g\. "orders"/],
    ["another module's route prefix", 'me', /routes under \/me\/, a route prefix that modules\/order-history\/.* already uses/],
    ['a too long name', `a${'-b'.repeat(25)}`, /is 51 characters long; keep it to 40 or fewer/],
  ])('refuses %s (%s)', async (_case, name, message) => {
    const result = await run(process.execPath, [SCRIPT, name], { cwd: projectRoot });

    expect(result.code, output(result)).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
    if (name !== 'catalog') expect(existsSync(path.join(projectRoot, 'modules', name))).toBe(false);
  });

  it('refuses no name and two names, with the usage', async () => {
    for (const args of [[], ['billing', 'invoices']]) {
      const result = await run(process.execPath, [SCRIPT, ...args], { cwd: projectRoot });
      expect(result.code, output(result)).toBe(1);
      expect(result.stderr).toContain('Usage: npm run new:module -- <name>');
    }
  });

  it('refuses an owner CODEOWNERS could not use', async () => {
    const result = await run(process.execPath, [SCRIPT, 'loyalty-points', '--owner', 'loyalty team'], { cwd: projectRoot });
    expect(result.code, output(result)).toBe(1);
    expect(result.stderr).toContain('--owner "loyalty team" is not a GitHub user');
    expect(existsSync(path.join(projectRoot, 'modules/loyalty-points'))).toBe(false);
  });
});

/** Every file of the project as git sees it (tracked, or new and not ignored): what a clone plus local work holds. */
async function projectFiles(): Promise<string[]> {
  const result = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: projectRoot });
  if (result.code !== 0) throw new Error(`git ls-files failed: ${output(result)}`);
  return result.stdout.split('\0').filter((file) => file && existsSync(path.join(projectRoot, file)));
}

/** A copy of the project to scaffold into, sharing this one's node_modules. */
async function copyProject(): Promise<string> {
  const copy = mkdtempSync(path.join(os.tmpdir(), 'seams-new-module-'));
  const files = await projectFiles();
  originalFiles = new Set(files);
  for (const file of files) {
    mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    cpSync(path.join(projectRoot, file), path.join(copy, file));
  }
  symlinkSync(path.join(projectRoot, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  return copy;
}

/** Does what the generator's first step says: import the module in src/modules.ts and add it to moduleByName. */
function addToModuleList(root: string, importLine: string, moduleName: string, moduleVariable: string): void {
  const file = path.join(root, 'src/modules.ts');
  const source = readFileSync(file, 'utf8');
  const lastImport = [...source.matchAll(/^import .*;$/gm)].at(-1)!;
  const withImport = `${source.slice(0, lastImport.index + lastImport[0].length)}\n${importLine}${source.slice(lastImport.index + lastImport[0].length)}`;
  const list = /(export const moduleByName\b[^=]*=\s*\{)([^}]*?)(,?\s*)\}/;
  expect(withImport, 'src/modules.ts has no `export const moduleByName = {...}` map').toMatch(list);
  writeFileSync(file, withImport.replace(list, (_, head: string, items: string, tail: string) => `${head}${items}, '${moduleName}': ${moduleVariable}${tail}}`));
}

/** Every file of the copy that is not in the project, or differs from it: what the generator and the generators wrote. */
function changedFiles(root: string, original: ReadonlySet<string>): string[] {
  const changed: string[] = [];
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.relative(root, path.join(entry.parentPath, entry.name));
    if (file.startsWith(`node_modules${path.sep}`)) continue;
    if (!original.has(file) || !readFileSync(path.join(root, file)).equals(readFileSync(path.join(projectRoot, file)))) changed.push(file);
  }
  return changed;
}

/**
 * The steps of the copy's `npm run check`, in order, with `npm run lint` narrowed to the files the scaffold wrote or
 * changed: the lint rules are per file (none reads types), so every other file lints in the copy as in the project,
 * whose own `npm run check` covers it. Linting all of them again took a fifth of this test's CPU. Likewise the
 * typecheck of the console's own project (console/tsconfig.json: console/src, which imports nothing outside it) runs
 * only if the scaffold wrote under console/; the project's typecheck always runs.
 */
function checkSteps(root: string): string[] {
  const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const changed = changedFiles(root, originalFiles);
  const lintable = changed.filter((file) => /\.(ts|js|cjs|mjs)$/.test(file));
  expect(lintable).toContain(path.join('modules', 'loyalty-points', 'index.ts'));
  expect(scripts.lint, 'the lint script is `eslint .`').toBe('eslint .');
  const lint = `eslint ${lintable.map((file) => `'${file}'`).join(' ')}`;
  expect(scripts.typecheck, 'the typecheck script is the project, then the console').toBe('tsc --noEmit && tsc --noEmit -p console');
  const project = `tsc --noEmit --incremental --tsBuildInfoFile ${COPY_BUILD_INFO}`;
  const typecheck = changed.some((file) => file.startsWith(`console${path.sep}`)) ? scripts.typecheck!.replace('tsc --noEmit &&', `${project} &&`) : project;
  const narrowed: Record<string, string> = { 'npm run lint': lint, 'npm run typecheck': typecheck };
  return scripts.check!.split('&&').map((step) => step.trim()).map((step) => narrowed[step] ?? step);
}

/**
 * The project's typecheck in the copy is incremental, from the state the previous run's copy left (kept in the
 * project's node_modules/.cache): it took about 15 s of CPU, and a second run (the second test run of .ci/run, a
 * developer's next npm test) now rechecks only the files that changed since and those they affect, which is what
 * TypeScript's --incremental guarantees to report the same as a full check. Every copy sits in the same temporary
 * folder, so the paths in the state (relative to the copy, the real node_modules as ../../…) hold for the next copy.
 */
const COPY_BUILD_INFO = 'tsconfig.tsbuildinfo';
const KEPT_BUILD_INFO = path.join(projectRoot, 'node_modules/.cache/seams/new-module-copy.tsbuildinfo');

/** Puts the state the previous run's copy left into this copy, if there is one. */
function restoreBuildInfo(root: string): void {
  if (existsSync(KEPT_BUILD_INFO)) cpSync(KEPT_BUILD_INFO, path.join(root, COPY_BUILD_INFO));
}

/** Keeps this copy's state for the next run (renamed into place, so that a run beside this one reads a whole file). */
function keepBuildInfo(root: string): void {
  const built = path.join(root, COPY_BUILD_INFO);
  if (!existsSync(built)) return;
  mkdirSync(path.dirname(KEPT_BUILD_INFO), { recursive: true });
  const partial = `${KEPT_BUILD_INFO}.${process.pid}`;
  cpSync(built, partial);
  renameSync(partial, KEPT_BUILD_INFO);
}

let originalFiles: ReadonlySet<string> = new Set();
let copy: string | undefined;
afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

// Slow by nature (every step of `npm run check` on a project copy, then its tests on a fresh database), hence the timeout.
it('creates a module that, once listed in src/modules.ts and the printed generators run, passes npm run check and its tests', { timeout: 900_000 }, async () => {
  copy = await copyProject();
  const npm = (args: string[], env: NodeJS.ProcessEnv = process.env) => run('npm', args, { cwd: copy!, env, timeoutMs: 600_000 });

  const created = await npm(['run', '--silent', 'new:module', '--', 'loyalty-points']);
  expect(created.code, output(created)).toBe(0);
  for (const file of [
    'modules/loyalty-points/index.ts',
    'modules/loyalty-points/contract.ts',
    'modules/loyalty-points/http/examples-routes.ts',
    'modules/loyalty-points/http/examples-routes.test.ts',
    'modules/loyalty-points/application/example-use-cases.ts',
    'modules/loyalty-points/infrastructure/examples-repository.ts',
    'modules/loyalty-points/infrastructure/examples.table.ts',
    'migrations/loyalty-points/0001_create_examples.ts',
  ]) {
    expect(existsSync(path.join(copy, file)), file).toBe(true);
  }

  // Follow the printed steps, as a person would: the import line, then each `npm run <generator>` it lists.
  const importLine = created.stdout.match(/^\s*(import \{ loyaltyPointsModule \} from '\.\.\/modules\/loyalty-points\/index\.ts';)$/m)?.[1];
  expect(importLine, created.stdout).toBeDefined();
  addToModuleList(copy, importLine!, 'loyalty-points', 'loyaltyPointsModule');
  const generators = [...created.stdout.matchAll(/^\s+npm run (\S+)$/gm)].map((match) => match[1]!).filter((script) => script !== 'check');
  for (const script of generators) {
    const generated = await npm(['run', script]);
    expect(generated.code, `npm run ${script}\n${output(generated)}`).toBe(0);
  }
  expect(created.stdout).toContain('npm run check');
  expect(created.stdout).toContain('npm test -- modules/loyalty-points');

  // The copy's tests run beside the steps of npm run check, which only read the copy: most of the tests' time is
  // waiting (a vitest start, a database made and migrated), most of the steps' is the typecheck's CPU. Side by side,
  // this test took 29 s instead of 36 s alone (load 3.5), for the same CPU.
  // Its own tests, and the cross-module permission test (which now covers it too), on a fresh database of the copy's
  // own run, on the server this run uses.
  const steps = checkSteps(copy);
  restoreBuildInfo(copy);
  const testing = npm(['test', '--', '--reporter=verbose', '--no-file-parallelism', 'modules/loyalty-points', 'test/architecture/cross-module-access.test.ts'], {
    ...process.env,
    DATABASE_URL: inject('serverUrl'),
  });
  try {
    for (const step of steps) {
      const checked = await run('sh', ['-c', step], { cwd: copy, env: { ...process.env, PATH: `${path.join(copy, 'node_modules/.bin')}${path.delimiter}${process.env.PATH ?? ''}` }, timeoutMs: 600_000 });
      expect(checked.code, `${step} (a step of npm run check) in the copy\n${output(checked)}`).toBe(0);
    }
    keepBuildInfo(copy);
  } finally {
    await testing; // the copy is removed after this test: its tests must have ended by then
  }

  const tests = await testing;
  expect(tests.code, `npm test in the copy\n${output(tests)}`).toBe(0);
  expect(tests.stdout).toMatch(/modules\/loyalty-points\/http\/examples-routes\.test\.ts/);
  expect(tests.stdout).toMatch(/module "loyalty-points"/);
});
