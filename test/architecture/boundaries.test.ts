import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm run check:boundaries` (scripts/check-boundaries.ts) against the real tree, against a temporary copy of the
 * project with planted violations, and against trees where it can see nothing.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const PROJECT_ENTRIES = ['src', 'modules', 'migrations', 'test', 'scripts', 'package.json', 'tsconfig.json', '.dependency-cruiser.js'];
const tempDirs: string[] = [];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Violation {
  rule: string;
  severity: string;
  from: string;
  to: string;
}

/** Runs `node [nodeArgs] <projectDir>/scripts/check-boundaries.ts [args]`, where projectDir holds the script. */
function runCheck(projectDir: string, args: readonly string[] = [], nodeArgs: readonly string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, path.join(projectDir, 'scripts/check-boundaries.ts'), ...args], {
      cwd: projectDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The violations as the script prints them: "SEVERITY rule (severity)" then "  from -> to". */
function violations(output: string): Violation[] {
  return [...output.matchAll(/^[A-Z]+ (\S+) \((\w+)\)\n {2}(\S+) -> (\S+)/gm)].map(([, rule, severity, from, to]) => ({
    rule: rule!,
    severity: severity!,
    from: from!,
    to: to!,
  }));
}

function cruisedModules(output: string): number {
  const match = /check:boundaries: (\d+) modules/.exec(output);
  return match ? Number(match[1]) : -1;
}

async function tempDir(label: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `seams-boundaries-${label}-`));
  tempDirs.push(dir);
  return dir;
}

/** A copy of the project's sources and config, with node_modules linked to the real one. */
async function copyProject(label: string, entries: readonly string[] = PROJECT_ENTRIES): Promise<string> {
  const dir = await tempDir(label);
  for (const entry of entries) await cp(path.join(root, entry), path.join(dir, entry), { recursive: true });
  await symlink(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

async function plant(dir: string, file: string, source: string): Promise<void> {
  await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
  await writeFile(path.join(dir, file), source);
}

afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('check:boundaries', () => {
  it('passes on the real tree and says how much it cruised', async () => {
    const run = await runCheck(root);
    expect(run.stderr).toBe('');
    expect(violations(run.stdout)).toEqual([]);
    expect(cruisedModules(run.stdout)).toBeGreaterThan(0);
    expect(run.code).toBe(0);
  });

  describe('on a copy of the project with planted violations', () => {
    let clean: Run;
    let dirty: Run;
    let found: Violation[];

    beforeAll(async () => {
      const [cleanDir, dirtyDir] = await Promise.all([copyProject('clean'), copyProject('dirty')]);

      // A throw-away module reaching into catalog's private code, at run time and through `import type`.
      await plant(dirtyDir, 'modules/zz-probe/application/steal.ts',
        "import { makeProductsRepository } from '../../catalog/infrastructure/products-repository.ts';\n" +
          'export const steal = makeProductsRepository;\n');
      await plant(dirtyDir, 'modules/zz-probe/domain/peek.ts',
        "import type { Product } from '../../catalog/domain/product.ts';\nexport type Peek = Product;\n");
      // Allowed: another module's contract.
      await plant(dirtyDir, 'modules/zz-probe/application/quote.ts',
        "import { catalogContract } from '../../catalog/contract.ts';\nexport const quote = catalogContract;\n");
      // Only src/modules.ts may import a manifest.
      await plant(dirtyDir, 'modules/zz-probe/application/wire.ts',
        "import { catalogModule } from '../../catalog/index.ts';\nexport const wire = catalogModule;\n");
      // The platform knows no module, not even its contract (type-only, too).
      await plant(dirtyDir, 'src/platform/zz-probe.ts',
        "import type { CatalogApi } from '../../modules/catalog/contract.ts';\nexport type Probe = CatalogApi;\n");
      // Migrations import no app code, also not through #platform/*.
      await plant(dirtyDir, 'migrations/catalog/9999_zz_probe.ts',
        "import { AppError } from '#platform/errors.ts';\n" +
          "import { ProductQuote } from '../../modules/catalog/contract.ts';\n" +
          'export const probe = [AppError, ProductQuote];\n');
      // A cycle, test code in production, and an import that does not resolve.
      await plant(dirtyDir, 'modules/zz-probe/domain/a.ts', "import { b } from './b.ts';\nexport const a = () => b;\n");
      await plant(dirtyDir, 'modules/zz-probe/domain/b.ts', "import { a } from './a.ts';\nexport const b = () => a;\n");
      await plant(dirtyDir, 'test/zz-probe-helper.ts', 'export const helper = 1;\n');
      await plant(dirtyDir, 'modules/zz-probe/application/uses-test.ts',
        "import { helper } from '../../../test/zz-probe-helper.ts';\nexport const usesTest = helper;\n");
      await plant(dirtyDir, 'modules/zz-probe/application/typo.ts',
        "import { nothing } from './does-not-exist.ts';\nexport const typo = nothing;\n");

      [clean, dirty] = await Promise.all([runCheck(cleanDir), runCheck(dirtyDir, ['--cwd', dirtyDir])]);
      found = violations(dirty.stdout);
    });

    it('passes on an untouched copy (so the copy itself is sound)', () => {
      expect(clean.stderr).toBe('');
      expect(violations(clean.stdout)).toEqual([]);
      expect(cruisedModules(clean.stdout)).toBeGreaterThan(0);
      expect(clean.code).toBe(0);
    });

    it('fails and names each rule with the offending file', () => {
      expect(dirty.code).toBe(1);
      expect(cruisedModules(dirty.stdout)).toBeGreaterThan(0);
      const expected: Array<[rule: string, from: string, to: string]> = [
        ['module-internals-are-private', 'modules/zz-probe/application/steal.ts', 'modules/catalog/infrastructure/products-repository.ts'],
        ['module-internals-are-private', 'modules/zz-probe/domain/peek.ts', 'modules/catalog/domain/product.ts'],
        ['module-manifest-only-in-composition-root', 'modules/zz-probe/application/wire.ts', 'modules/catalog/index.ts'],
        ['platform-knows-no-modules', 'src/platform/zz-probe.ts', 'modules/catalog/contract.ts'],
        ['migrations-import-no-app-code', 'migrations/catalog/9999_zz_probe.ts', 'src/platform/errors.ts'],
        ['migrations-import-no-app-code', 'migrations/catalog/9999_zz_probe.ts', 'modules/catalog/contract.ts'],
        ['not-to-test', 'modules/zz-probe/application/uses-test.ts', 'test/zz-probe-helper.ts'],
        ['not-to-unresolvable', 'modules/zz-probe/application/typo.ts', './does-not-exist.ts'],
      ];
      for (const [rule, from, to] of expected) {
        expect(found, `${rule}: ${from} -> ${to}`).toContainEqual({ rule, severity: 'error', from, to });
      }
      expect(found.filter(({ rule }) => rule === 'no-circular').map(({ from }) => from)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^modules\/zz-probe\/domain\/[ab]\.ts$/)]),
      );
    });

    it('reports nothing but the planted violations (a contract import is allowed)', () => {
      expect(found.filter(({ from }) => !/zz-probe|zz_probe/.test(from))).toEqual([]);
      expect(found.filter(({ from }) => from.endsWith('/quote.ts'))).toEqual([]);
    });

    it("teaches: prints each rule's comment and a summary", () => {
      expect(dirty.stdout).toContain("Import the other module's contract.ts instead");
      expect(dirty.stdout).toContain('only src/modules.ts (the list of modules) may import it');
      expect(dirty.stdout).toMatch(/check:boundaries: \d+ modules and \d+ dependencies cruised .*; \d+ violations? \(\d+ errors/);
      expect(dirty.stdout).toContain('docs/boundaries.md');
    });
  });

  describe('fails loudly when it cannot see the code', () => {
    it('exits non-zero with an explanation when it cruised zero modules', async () => {
      const dir = await copyProject('empty', ['package.json', 'tsconfig.json', '.dependency-cruiser.js']);
      await plant(dir, 'src/README.md', 'No sources here.\n');
      const run = await runCheck(root, ['--cwd', dir]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('cruised 0 modules, so nothing was checked');
      expect(run.stderr).toContain('TypeScript 7');
      expect(run.stdout).not.toContain('violations');
    });

    it('exits non-zero when the installed TypeScript is one dependency-cruiser cannot use (TypeScript 7)', async () => {
      // A node_modules of links to the real packages, except typescript, which claims to be 7.0.0. With
      // --preserve-symlinks, dependency-cruiser finds typescript there instead of the real one.
      const dir = await tempDir('typescript7');
      for (const entry of ['src', 'modules', 'scripts', 'package.json', 'tsconfig.json', '.dependency-cruiser.js']) {
        await cp(path.join(root, entry), path.join(dir, entry), { recursive: true });
      }
      await mkdir(path.join(dir, 'node_modules'));
      for (const name of await readdir(path.join(root, 'node_modules'))) {
        if (name !== 'typescript') await symlink(path.join(root, 'node_modules', name), path.join(dir, 'node_modules', name));
      }
      await plant(dir, 'node_modules/typescript/package.json', '{ "name": "typescript", "version": "7.0.0", "main": "index.js" }\n');
      await plant(dir, 'node_modules/typescript/index.js', 'module.exports = {};\n');

      const run = await runCheck(dir, ['--cwd', dir], ['--preserve-symlinks']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('cruised 0 modules, so nothing was checked');
      expect(run.stderr).toContain('typescript@7.0.0 (NOT usable');
      expect(run.stderr).toContain('missing-tsc-transpiler');
    });
  });
});
