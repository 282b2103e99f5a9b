import { afterAll, describe, expect, it } from 'vitest';
import { modules } from '../../src/modules.ts';
import { ManifestUnreadable, readManifests } from '../../scripts/boundaries-manifests.ts';
import { copyProject, plant, removeTempDirs, root, runCheck, tempDir } from './boundaries-support.ts';
import { editFile } from '../support/project-copy.ts';

/**
 * The boundary rules are built from the manifests as scripts/boundaries-manifests.ts reads them, without running them.
 * That reading must agree with the manifests the app runs, and must refuse what it cannot read instead of guessing.
 */

afterAll(removeTempDirs);

async function readOne(source: string, folder = 'zz-probe') {
  const dir = await tempDir('manifest');
  await plant(dir, `modules/${folder}/index.ts`, source);
  return () => readManifests(dir);
}

const manifest = (body: string) => `import { defineModule } from '#platform/modules/define-module.ts';\nexport const probe = defineModule({ ${body} });\n`;

describe('reading the manifests statically', () => {
  it('agrees with the manifests the app runs: the same modules, each with the same dependencies', () => {
    const read = readManifests(root)
      .filter((facts) => facts.manifest !== undefined)
      .map(({ name, dependsOn }) => ({ name, dependsOn }));
    const running = modules.map(({ name, dependsOn }) => ({ name, dependsOn: { ...dependsOn } })).sort((a, b) => a.name.localeCompare(b.name));
    expect(read).toEqual(running);
    expect(read.length).toBeGreaterThan(1);
  });

  it('reads quoted names, reasons joined with +, and a folder without a manifest as depending on nothing', async () => {
    const dir = await tempDir('manifests');
    await plant(dir, 'modules/zz-probe/index.ts', manifest("name: 'zz-probe', owners: ['@probe'], dependsOn: { 'order-history': 'reads ' + `its events`, catalog: \"prices\" }"));
    await plant(dir, 'modules/zz-empty/README.md', 'Not a module yet.\n');
    expect(readManifests(dir)).toEqual([
      { name: 'zz-empty', manifest: undefined, dependsOn: {} },
      { name: 'zz-probe', manifest: 'modules/zz-probe/index.ts', dependsOn: { 'order-history': 'reads its events', catalog: 'prices' } },
    ]);
  });

  it.each([
    ['dependsOn built elsewhere', manifest("name: 'zz-probe', dependsOn: declared"), 'dependsOn is `declared`, not an object literal'],
    ['a spread in dependsOn', manifest("name: 'zz-probe', dependsOn: { ...others }"), 'cannot read `...others` in dependsOn'],
    ['a reason that is not a string', manifest("name: 'zz-probe', dependsOn: { catalog: why }"), 'cannot read `catalog: why` in dependsOn'],
    ['a name that is not a string', manifest('name: NAME, dependsOn: {}'), "the module's name is not a string literal"],
    ['no dependsOn', manifest("name: 'zz-probe'"), 'has no dependsOn. Write `dependsOn: {}`'],
    ['no defineModule call', 'export const probe = {};\n', 'does not call defineModule({ ... })'],
    ['a name that is not its folder', manifest("name: 'zz-other', dependsOn: {}"), 'names its module "zz-other", but it lives in modules/zz-probe/'],
  ])('refuses %s, and says what to write instead', async (_case, source, message) => {
    const read = await readOne(source);
    expect(read).toThrow(ManifestUnreadable);
    expect(read).toThrow(message);
  });

  it('makes the check fail (it cannot run) rather than guess, naming the manifest', async () => {
    const dir = await copyProject('unreadable-manifest');
    await editFile(dir, 'modules/payments/index.ts', 'dependsOn: {', 'dependsOn: {\n    ...{},');
    const run = await runCheck(dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('modules/payments/index.ts: cannot read `...{}` in dependsOn');
  }, 60_000);
});
