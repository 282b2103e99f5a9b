import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModule, type AnyModule } from '#platform/modules/define-module.ts';
import { modules } from '../../src/modules.ts';
import { codeownersFiles, dependentsFile } from '../../scripts/codeowners.ts';
import { staleFiles, type GeneratedFile } from '../../scripts/generated-files.ts';
import { copyProject, editFile, projectRoot, runScript } from '../support/project-copy.ts';

/** `npm run codeowners` (scripts/codeowners.ts): CODEOWNERS and dependents.md follow the manifests, and stay fresh. */

const byName = (name: string): AnyModule => {
  const module = modules.find((candidate) => candidate.name === name);
  if (!module) throw new Error(`No module "${name}" in src/modules.ts`);
  return module;
};

const contentOf = (files: readonly GeneratedFile[], file: string) => files.find((candidate) => candidate.path === file)?.content;

/**
 * Who GitHub asks to approve a change to `file`: the owners on the last line whose pattern matches it. Our patterns
 * are all anchored (`/dir/` for a folder and everything in it, `/path/file` for one file).
 */
function ownersOf(codeowners: string, file: string): string[] {
  let owners: string[] = [];
  for (const line of codeowners.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [pattern, ...names] = line.trim().split(/\s+/);
    const relative = pattern!.slice(1);
    if (pattern!.endsWith('/') ? file.startsWith(relative) : file === relative) owners = names;
  }
  return owners;
}

describe('CODEOWNERS, generated from the manifests', () => {
  let files: GeneratedFile[];
  let codeowners: string;

  beforeAll(async () => {
    files = await codeownersFiles(modules, projectRoot);
    codeowners = contentOf(files, 'CODEOWNERS')!;
  });

  it("gives each module's folder and migrations to its owners", () => {
    for (const module of modules) {
      expect(ownersOf(codeowners, `modules/${module.name}/index.ts`)).toEqual(module.owners);
      expect(ownersOf(codeowners, `modules/${module.name}/domain/anything.ts`)).toEqual(module.owners);
      expect(ownersOf(codeowners, `migrations/${module.name}/0002_next.ts`)).toEqual(module.owners);
    }
  });

  it("routes every dependency block to the depended-on module's owners, through its dependents.md", () => {
    for (const module of modules) {
      for (const [dependency, reason] of Object.entries(module.dependsOn)) {
        const file = dependentsFile(dependency);
        // The line for the dependents file comes after the folder lines, so it is the one GitHub uses.
        expect(codeowners).toContain(`\n/${file} ${byName(dependency).owners.join(' ')}\n`);
        expect(ownersOf(codeowners, file)).toEqual(byName(dependency).owners);
        // The file changes with the dependency block: it records the dependent and its reason.
        expect(contentOf(files, file)).toContain(`| ${module.name} | ${module.owners.join(', ')} | ${reason} |`);
      }
    }
    // ordering's own manifest stays with ordering; the dependents file is what needs catalog.
    expect(ownersOf(codeowners, 'modules/ordering/index.ts')).toEqual(byName('ordering').owners);
    expect(ownersOf(codeowners, 'modules/catalog/dependents.md')).toEqual(byName('catalog').owners);
  });

  it('has no dependents.md for a module nobody depends on, and asks to remove one left behind', async () => {
    expect(contentOf(files, dependentsFile('order-history'))).toBeNull();
    // Without ordering's dependency on inventory, nobody depends on inventory: its dependents.md must go.
    const ordering = byName('ordering');
    const { inventory: _dropped, ...rest } = ordering.dependsOn;
    const subscriptions = (ordering.subscriptions ?? []).filter((subscription) => !subscription.event.name.startsWith('inventory.'));
    const withoutInventory = modules.map((module) => (module === ordering ? defineModule({ ...ordering, dependsOn: rest, subscriptions }) : module));
    const changed = await codeownersFiles(withoutInventory, projectRoot);
    expect(contentOf(changed, dependentsFile('inventory'))).toBeNull();
    expect(await staleFiles(projectRoot, changed)).toEqual([
      expect.stringMatching(/^CODEOWNERS is out of date/),
      'modules/inventory/dependents.md should not exist any more: remove it',
    ]);
  });

  it('refuses an owner that GitHub would ignore, naming it and its module', async () => {
    const catalog = byName('catalog');
    const renamed = modules.map((module) => (module === catalog ? { ...catalog, owners: ['catalog team'] } : module));
    await expect(codeownersFiles(renamed, projectRoot)).rejects.toThrow(/"catalog team" \(module catalog\).*@user, @org\/team or an e-mail address/s);
  });

  it('is what is committed', async () => {
    expect(await staleFiles(projectRoot, files)).toEqual([]);
    expect(await readFile(path.join(projectRoot, 'CODEOWNERS'), 'utf8')).toBe(codeowners);
  });
});

describe('the staleness check of CODEOWNERS, on a copy of the project', () => {
  let copy: Awaited<ReturnType<typeof copyProject>>;
  beforeAll(async () => {
    copy = await copyProject('codeowners');
  });
  afterAll(async () => {
    await copy.remove();
  });

  it('fails when a manifest declares a new dependency, until --write records it for the depended-on owners', async () => {
    const script = 'scripts/codeowners.ts';
    const before = await runScript(copy.dir, script, ['--check']);
    expect(before.stderr).toBe('');
    expect(before.code).toBe(0);

    // inventory starts to depend on catalog: catalog's owners must now approve.
    const block = "  dependsOn: {\n    ordering: '";
    await editFile(copy.dir, 'modules/inventory/index.ts', block, "  dependsOn: {\n    catalog: 'shows product names next to stock',\n    ordering: '");
    const stale = await runScript(copy.dir, script, ['--check']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('modules/catalog/dependents.md is out of date');
    expect(stale.stderr).toContain('CODEOWNERS is out of date');
    expect(stale.stderr).toContain('Run `npm run codeowners`');

    expect((await runScript(copy.dir, script, ['--write'])).code).toBe(0);
    const dependents = await readFile(path.join(copy.dir, 'modules/catalog/dependents.md'), 'utf8');
    expect(dependents).toContain(`| inventory | ${byName('inventory').owners.join(', ')} | shows product names next to stock |`);
    const after = await runScript(copy.dir, script, ['--check']);
    expect(after.code).toBe(0);
  });
});
