import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyProject, removeTempDirs, runCheck as runUncachedCheck, staleEntries, tempDir, violations } from './boundaries-support.ts';
import { editFile } from '../support/project-copy.ts';

/**
 * The ratchet (scripts/boundaries-baseline.ts): known violations listed in boundaries-baseline.json pass, new ones
 * fail, a fixed one whose entry is still listed fails until the entry is removed, and --update-baseline only removes
 * entries unless --accept-new says otherwise.
 */

afterAll(removeTempDirs);

const BASELINE = 'boundaries-baseline.json';

/**
 * The check with dependency-cruiser's cache (--cache), one folder per copy outside it: most runs here follow one on
 * the same sources and differ only in the baseline or the flags, which come after the cruise. A run after a file
 * changed cruises afresh, so every state of the sources is still cruised once.
 */
const cacheOf = new Map<string, Promise<string>>();
function runCheck(dir: string, args: readonly string[] = []) {
  if (!cacheOf.has(dir)) cacheOf.set(dir, tempDir('cache'));
  return cacheOf.get(dir)!.then((cache) => runUncachedCheck(dir, [...args, '--cache', cache]));
}

// Two violations planted into files the app really uses, so that nothing else (an orphan) is reported with them.
const DOMAIN_FILE = 'modules/catalog/domain/product.ts';
const DOMAIN_BEFORE = "import { ConflictError, NotFoundError } from '#platform/errors.ts';";
const DOMAIN_AFTER = `import type { Kysely } from 'kysely';\n${DOMAIN_BEFORE}\nexport type ProbeDb = Kysely<object>;`;
const DOMAIN_VIOLATION = { rule: 'domain-is-pure', from: DOMAIN_FILE, to: 'kysely' };
const HTTP_FILE = 'modules/inventory/http/items-routes.ts';
const HTTP_BEFORE = "import { ItemBody, ItemParams, SetStockBody } from './item-schemas.ts';";
const HTTP_AFTER = `${HTTP_BEFORE}\nimport type { InventoryTables } from '../infrastructure/inventory.table.ts';\nexport type ProbeTables = InventoryTables;`;
const HTTP_VIOLATION = { rule: 'http-not-to-infrastructure', from: HTTP_FILE, to: 'modules/inventory/infrastructure/inventory.table.ts' };

const brief = (output: string) => violations(output).map(({ rule, from, to }) => ({ rule, from, to }));
const entries = async (dir: string) => (JSON.parse(await readFile(path.join(dir, BASELINE), 'utf8')) as { violations: unknown[] }).violations;

// The cases side by side (each on a copy and a cache of its own): the first is nine runs of the check in turn, and the
// others fit beside it.
describe.concurrent('the baseline', () => {
  it('passes a baselined violation, fails a new one, and fails a stale entry until it is removed', async () => {
    const dir = await copyProject('ratchet');
    const committed = await readFile(path.join(dir, BASELINE), 'utf8');

    const pristine = await runCheck(dir);
    expect(brief(pristine.stdout)).toEqual([]);
    expect(pristine.stdout).toContain(`${(await entries(dir)).length} known from ${BASELINE}; 0 stale baseline entries`);
    expect(pristine.code).toBe(0);

    // A new violation fails the check.
    await editFile(dir, DOMAIN_FILE, DOMAIN_BEFORE, DOMAIN_AFTER);
    const fresh = await runCheck(dir);
    expect(brief(fresh.stdout)).toEqual([DOMAIN_VIOLATION]);
    expect(fresh.code).toBe(1);

    // --update-baseline will not add it: the baseline only shrinks.
    const refused = await runCheck(dir, ['--update-baseline']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`NOT updating ${BASELINE}: 1 violation above is new, and the baseline only shrinks`);
    expect(await readFile(path.join(dir, BASELINE), 'utf8')).toBe(committed);

    // ... unless told to, and then the entry names rule, owning module and both ends.
    const accepted = await runCheck(dir, ['--update-baseline', '--accept-new']);
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toContain('(1 added, 0 stale removed)');
    expect(await entries(dir)).toContainEqual({ ...DOMAIN_VIOLATION, module: 'catalog' });

    // A baselined violation passes, and is listed as known.
    const known = await runCheck(dir);
    expect(brief(known.stdout)).toEqual([]);
    expect(known.stdout).toContain(`KNOWN domain-is-pure [catalog]: ${DOMAIN_FILE} -> kysely`);
    expect(known.code).toBe(0);

    // Another new violation fails, and is the only one reported.
    await editFile(dir, HTTP_FILE, HTTP_BEFORE, HTTP_AFTER);
    const another = await runCheck(dir);
    expect(brief(another.stdout)).toEqual([HTTP_VIOLATION]);
    expect(another.code).toBe(1);

    // Both fixed: the baselined one's entry is now stale, and fails the check.
    await editFile(dir, HTTP_FILE, HTTP_AFTER, HTTP_BEFORE);
    await editFile(dir, DOMAIN_FILE, DOMAIN_AFTER, DOMAIN_BEFORE);
    const stale = await runCheck(dir);
    expect(brief(stale.stdout)).toEqual([]);
    expect(staleEntries(stale.stdout)).toEqual([DOMAIN_VIOLATION]);
    expect(stale.stdout).toContain('stale baseline entry: remove it');
    expect(stale.code).toBe(1);

    // --update-baseline removes the stale entry; then the check passes and the baseline is what it was.
    const shrunk = await runCheck(dir, ['--update-baseline']);
    expect(shrunk.code).toBe(0);
    expect(shrunk.stdout).toContain('(0 added, 1 stale removed)');
    expect(await readFile(path.join(dir, BASELINE), 'utf8')).toBe(committed);
    const passes = await runCheck(dir);
    expect(passes.code).toBe(0);
    // Nine runs of the check, one after the other, on a machine that other tests load too.
  }, 180_000);

  it('records every violation when there is no baseline yet (adopting the check)', async () => {
    const dir = await copyProject('adopt');
    await rm(path.join(dir, BASELINE));
    await editFile(dir, DOMAIN_FILE, DOMAIN_BEFORE, DOMAIN_AFTER);
    const adopted = await runCheck(dir, ['--update-baseline']);
    expect(adopted.code).toBe(0);
    expect(adopted.stdout).toContain(`wrote ${BASELINE}`);
    expect(await entries(dir)).toContainEqual({ ...DOMAIN_VIOLATION, module: 'catalog' });
    expect((await runCheck(dir)).code).toBe(0);
  }, 60_000);

  it('a duplicated entry is stale: each entry excuses one violation', async () => {
    const dir = await copyProject('duplicate');
    await editFile(dir, DOMAIN_FILE, DOMAIN_BEFORE, DOMAIN_AFTER);
    expect((await runCheck(dir, ['--update-baseline', '--accept-new'])).code).toBe(0);
    const file = path.join(dir, BASELINE);
    const baseline = JSON.parse(await readFile(file, 'utf8')) as { violations: unknown[] };
    await writeFile(file, JSON.stringify({ ...baseline, violations: [...baseline.violations, { ...DOMAIN_VIOLATION, module: 'catalog' }] }));
    const run = await runCheck(dir);
    expect(staleEntries(run.stdout)).toEqual([DOMAIN_VIOLATION]);
    expect(run.code).toBe(1);
  }, 60_000);

  it('refuses to run on a baseline it cannot read, or --accept-new alone', async () => {
    const dir = await copyProject('unreadable');
    await writeFile(path.join(dir, BASELINE), JSON.stringify({ violations: [{ rule: 'no-orphans', from: 'src/x.ts' }] }));
    const broken = await runCheck(dir);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(`${BASELINE}: entry 1 is {"rule":"no-orphans","from":"src/x.ts"}; each entry has the strings rule, module, from and to`);

    const alone = await runCheck(dir, ['--accept-new']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--accept-new only goes with --update-baseline');
  }, 60_000);
});
