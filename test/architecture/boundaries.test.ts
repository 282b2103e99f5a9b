import { cp, mkdir, readdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyProject, cruisedModules, plant, probeManifest, removeTempDirs, root, runCheck, tempDir, violations, type Run, type Violation } from './boundaries-support.ts';
import { editFile } from '../support/project-copy.ts';

/**
 * `npm run check:boundaries` (scripts/check-boundaries.ts) against the real tree, against a temporary copy of the
 * project with planted violations of the module, platform, migration and hygiene rules, and against trees where it
 * can see nothing. The layer, contract, API and cycle rules are in boundaries-rules.test.ts; the baseline in
 * boundaries-baseline.test.ts.
 */

afterAll(removeTempDirs);

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
    const brief = (list: Violation[]) => list.map(({ rule, severity, from, to }) => ({ rule, severity, from, to }));

    beforeAll(async () => {
      const [cleanDir, dirtyDir] = await Promise.all([copyProject('clean'), copyProject('dirty')]);

      // A throw-away module that declares catalog, reaching into catalog's private code, at run time and through
      // `import type`.
      await plant(dirtyDir, 'modules/zz-probe/index.ts', probeManifest({ catalog: 'probes the boundary rules' }));
      await plant(dirtyDir, 'modules/zz-probe/application/steal.ts',
        "import { makeProductsRepository } from '../../catalog/infrastructure/products-repository.ts';\n" +
          'export const steal = makeProductsRepository;\n');
      await plant(dirtyDir, 'modules/zz-probe/domain/peek.ts',
        "import type { Product } from '../../catalog/domain/product.ts';\nexport type Peek = Product;\n");
      // Every way of loading code reaches the same rules: import() and a require made by createRequire, named
      // `require`, named otherwise, or called at once.
      await plant(dirtyDir, 'modules/zz-probe/application/load-dynamic.ts',
        "export const load = () => import('../../catalog/infrastructure/products-repository.ts');\n");
      await plant(dirtyDir, 'modules/zz-probe/application/load-require.ts',
        "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n" +
          "export const load = () => require('../../catalog/infrastructure/products.table.ts');\n");
      await plant(dirtyDir, 'modules/zz-probe/application/load-alias.ts',
        "import { createRequire } from 'node:module';\nconst fetchCode = createRequire(import.meta.url);\n" +
          "export const load = () => fetchCode('../../catalog/domain/product.ts');\n");
      await plant(dirtyDir, 'modules/zz-probe/application/load-at-once.ts',
        "import module from 'node:module';\n" +
          "export const load = () => module.createRequire(import.meta.url)('../../catalog/infrastructure/products-repository.ts');\n");
      // Allowed: the contract of a declared dependency.
      await plant(dirtyDir, 'modules/zz-probe/application/quote.ts',
        "import { catalogContract } from '../../catalog/contract.ts';\nexport const quote = catalogContract;\n");
      // Only src/modules.ts may import a manifest.
      await plant(dirtyDir, 'modules/zz-probe/application/wire.ts',
        "import { catalogModule } from '../../catalog/index.ts';\nexport const wire = catalogModule;\n");
      // The platform knows no module, not even its contract (type-only, too), and not the composition root.
      await plant(dirtyDir, 'src/platform/zz-probe.ts',
        "import type { CatalogApi } from '../../modules/catalog/contract.ts';\nexport type Probe = CatalogApi;\n");
      await plant(dirtyDir, 'src/platform/zz-probe-root.ts',
        "import { moduleNames } from '../modules.ts';\nexport const probeRoot = moduleNames;\n");
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
      // A dev dependency at run time (a type-only import of one is fine), and a package package.json does not list.
      await plant(dirtyDir, 'modules/zz-probe/application/pretty.ts',
        "import pretty from 'pino-pretty';\nimport type { Vitest } from 'vitest/node';\nexport const prettify = pretty;\nexport type Runner = Vitest;\n");
      await plant(dirtyDir, 'modules/zz-probe/application/stringify.ts',
        "import stringify from 'fast-json-stringify';\nexport const compile = stringify;\n");
      // Dead production code; the migration above is just as unimported, and exempt.
      await plant(dirtyDir, 'src/platform/zz-probe-orphan.ts', 'export const nobodyImportsThis = 1;\n');
      // A file a module's manifest imports (quote.ts) is no orphan once the module is listed in src/modules.ts.
      await editFile(dirtyDir, 'modules/zz-probe/index.ts', "import { defineModule }", "import './application/quote.ts';\nimport { defineModule }");
      await editFile(dirtyDir, 'src/modules.ts', "import type { AnyModule }", "import '../modules/zz-probe/index.ts';\nimport type { AnyModule }");

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
        ['zz-probe-uses-only-declared-modules', 'modules/zz-probe/application/steal.ts', 'modules/catalog/infrastructure/products-repository.ts'],
        ['zz-probe-uses-only-declared-modules', 'modules/zz-probe/domain/peek.ts', 'modules/catalog/domain/product.ts'],
        ['zz-probe-uses-only-declared-modules', 'modules/zz-probe/application/load-dynamic.ts', 'modules/catalog/infrastructure/products-repository.ts'],
        ['zz-probe-uses-only-declared-modules', 'modules/zz-probe/application/load-require.ts', 'modules/catalog/infrastructure/products.table.ts'],
        ['zz-probe-uses-only-declared-modules', 'modules/zz-probe/application/load-alias.ts', 'modules/catalog/domain/product.ts'],
        ['no-hidden-require', 'modules/zz-probe/application/load-at-once.ts', '../../catalog/infrastructure/products-repository.ts'],
        ['module-manifest-only-in-composition-root', 'modules/zz-probe/application/wire.ts', 'modules/catalog/index.ts'],
        ['platform-knows-no-modules', 'src/platform/zz-probe.ts', 'modules/catalog/contract.ts'],
        ['platform-not-to-composition-root', 'src/platform/zz-probe-root.ts', 'src/modules.ts'],
        ['migrations-import-no-app-code', 'migrations/catalog/9999_zz_probe.ts', 'src/platform/errors.ts'],
        ['migrations-import-no-app-code', 'migrations/catalog/9999_zz_probe.ts', 'modules/catalog/contract.ts'],
        ['not-to-test', 'modules/zz-probe/application/uses-test.ts', 'test/zz-probe-helper.ts'],
        ['not-to-unresolvable', 'modules/zz-probe/application/typo.ts', './does-not-exist.ts'],
        ['not-to-dev-dep', 'modules/zz-probe/application/pretty.ts', 'pino-pretty'],
        ['no-non-package-json', 'modules/zz-probe/application/stringify.ts', 'fast-json-stringify'],
        ['no-orphans', 'src/platform/zz-probe-orphan.ts', 'src/platform/zz-probe-orphan.ts'],
      ];
      for (const [rule, from, to] of expected) {
        expect(brief(found), `${rule}: ${from} -> ${to}`).toContainEqual({ rule, severity: 'error', from, to });
      }
      expect(found.filter(({ rule }) => rule === 'no-circular').map(({ from }) => from)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^modules\/zz-probe\/domain\/[ab]\.ts$/)]),
      );
    });

    it('reports nothing but the planted violations', () => {
      expect(brief(found.filter(({ from }) => !/zz-probe|zz_probe/.test(from)))).toEqual([]);
      // A declared dependency's contract from a file the app reaches, a type-only dev dependency, an exempt migration.
      expect(brief(found.filter(({ from }) => from.endsWith('/quote.ts') || from.endsWith('/index.ts')))).toEqual([]);
      expect(brief(found.filter(({ to }) => to.startsWith('vitest')))).toEqual([]);
      expect(brief(found.filter(({ rule, from }) => rule === 'no-orphans' && from.startsWith('migrations/')))).toEqual([]);
    });

    it('teaches: names the rule, both files and what to do instead, and prints a summary', () => {
      const steal = found.find(({ from, rule }) => from.endsWith('/steal.ts') && rule.endsWith('-uses-only-declared-modules'));
      expect(steal?.text).toContain(
        'Do instead: import what you need from modules/catalog/contract.ts, not from its internals (infrastructure/products-repository.ts)',
      );
      expect(steal?.text).toContain('declares in dependsOn in modules/zz-probe/index.ts (today: catalog)');
      expect(found.find(({ rule }) => rule === 'module-manifest-only-in-composition-root')?.text).toContain('only src/modules.ts (the list of modules) may import it');
      expect(found.find(({ rule }) => rule === 'not-to-dev-dep')?.text).toContain('only in devDependencies');
      expect(found.find(({ rule }) => rule === 'no-orphans')?.text).toContain('Import it where it is needed');
      expect(dirty.stdout).toMatch(/check:boundaries: \d+ modules and \d+ dependencies cruised .*; \d+ violations? \(\d+ errors/);
      expect(dirty.stdout).toContain('docs/boundaries.md');
    });
  });

  describe('fails loudly when it cannot see the code', () => {
    it('exits non-zero with an explanation when it cruised zero modules', async () => {
      const dir = await copyProject('empty', ['package.json', 'tsconfig.json', '.dependency-cruiser.js']);
      // The config reads the manifests through a script of the project; point it at the real one, so that the copy
      // holds no .ts file at all.
      await editFile(dir, '.dependency-cruiser.js', "'./scripts/boundaries-manifests.ts'", JSON.stringify(path.join(root, 'scripts/boundaries-manifests.ts')));
      await plant(dir, 'src/README.md', 'No sources here.\n');
      const run = await runCheck(root, ['--cwd', dir]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('cruised 0 modules, so nothing was checked');
      expect(run.stderr).toContain('TypeScript 7');
      expect(run.stdout).not.toContain('violations');
    });

    it('exits non-zero when the installed TypeScript is one it cannot use (TypeScript 7)', async () => {
      // A node_modules of links to the real packages, except typescript, which claims to be 7.0.0 and has no compiler
      // API. With --preserve-symlinks, the check and dependency-cruiser find typescript there instead of the real one.
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

      const run = await runCheck(dir, ['--cwd', dir], { NODE_OPTIONS: '--preserve-symlinks' });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('check:boundaries FAILED: the check could not run');
      expect(run.stderr).toContain('has no compiler API (TypeScript 7?)');
      expect(run.stderr).toContain('typescript@7.0.0 (NOT usable');
      expect(run.stdout).not.toContain('violations');
    });
  });
});
