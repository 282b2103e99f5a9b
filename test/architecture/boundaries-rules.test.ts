import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifests } from '../../scripts/boundaries-manifests.ts';
import { copyProject, plant, probeManifest, removeTempDirs, root, runCheck, violations, type Run, type Violation } from './boundaries-support.ts';
import { editFile } from '../support/project-copy.ts';

/**
 * The rules derived from the manifests (which module may import which contract, and resolve which API), the cycle of
 * synchronous dependencies, the layers inside a module and light contracts: each planted into a copy of the project,
 * each expected to fail the check with a message that says what to do instead, next to the allowed cases that must
 * not fail.
 */

afterAll(removeTempDirs);

const brief = (list: readonly Violation[]) => list.map(({ rule, from, to }) => ({ rule, from, to }));
const PROBE = /zz-probe|zz_probe/;

describe('module dependencies come from the manifests', () => {
  let undeclared: Run;
  let declared: Run;
  let found: Violation[];

  beforeAll(async () => {
    const [undeclaredDir, declaredDir] = await Promise.all([copyProject('undeclared'), copyProject('declared')]);
    // ordering stops declaring catalog, although place-order.ts still imports catalog's contract and calls its API.
    await editFile(undeclaredDir, 'modules/ordering/index.ts', "catalog: 'prices must be current when an order is placed',", '');
    // inventory imports catalog's contract without declaring catalog; catalog names order-history's API.
    const quote = "import { ProductQuote } from '../../catalog/contract.ts';\nexport const quote = ProductQuote;\n";
    await plant(undeclaredDir, 'modules/inventory/application/zz-probe-quote.ts', quote);
    await plant(undeclaredDir, 'modules/catalog/application/zz-probe-history.ts',
      'export const makeHistory = ({ orderHistoryApi }: { orderHistoryApi: unknown }) => orderHistoryApi;\n');
    // The same import, once inventory declares catalog: allowed.
    await editFile(declaredDir, 'modules/inventory/index.ts', 'dependsOn: {', "dependsOn: {\n    catalog: 'zz-probe: quotes prices',");
    await plant(declaredDir, 'modules/inventory/application/zz-probe-quote.ts', quote);
    [undeclared, declared] = await Promise.all([runCheck(undeclaredDir), runCheck(declaredDir)]);
    found = violations(undeclared.stdout);
  });

  it("fails on an import of the contract of a module the manifest does not declare, and says what to declare where", () => {
    expect(undeclared.code).toBe(1);
    const placeOrder = found.find(({ from, to }) => from === 'modules/ordering/application/place-order.ts' && to === 'modules/catalog/contract.ts');
    expect(placeOrder?.rule).toBe('ordering-uses-only-declared-modules');
    expect(placeOrder?.text).toContain("Do instead: declare `dependsOn: { catalog: '<why>' }` in modules/ordering/index.ts");
    // The rule was built from the edited manifest: it lists what ordering declares now.
    expect(placeOrder?.text).toContain('declares in dependsOn in modules/ordering/index.ts (today: inventory, payments)');
    expect(brief(found)).toContainEqual({
      rule: 'inventory-uses-only-declared-modules',
      from: 'modules/inventory/application/zz-probe-quote.ts',
      to: 'modules/catalog/contract.ts',
    });
  });

  it("fails on a use of another module's API that the manifest does not declare", () => {
    const call = found.find(({ rule, from }) => rule === 'api-use-is-declared' && from === 'modules/ordering/application/place-order.ts');
    expect(call?.to).toBe('catalogApi');
    expect(call?.text).toContain("Do instead: declare `dependsOn: { catalog: '<why>' }` in modules/ordering/index.ts");
    const history = found.find(({ rule, from }) => rule === 'api-use-is-declared' && from === 'modules/catalog/application/zz-probe-history.ts');
    expect(history?.to).toBe('orderHistoryApi');
    expect(history?.text).toContain("declare `dependsOn: { 'order-history': '<why>' }` in modules/catalog/index.ts");
  });

  it('reports only those (the other declared dependencies still pass)', () => {
    const unexpected = found.filter(({ from, rule }) => !(PROBE.test(from) || from === 'modules/ordering/application/place-order.ts') && rule !== 'no-orphans');
    expect(brief(unexpected)).toEqual([]);
  });

  it('passes the same import once the manifest declares the dependency', () => {
    expect(brief(violations(declared.stdout).filter(({ rule }) => rule !== 'no-orphans'))).toEqual([]);
    expect(brief(violations(declared.stdout))).toEqual([
      { rule: 'no-orphans', from: 'modules/inventory/application/zz-probe-quote.ts', to: 'modules/inventory/application/zz-probe-quote.ts' },
    ]);
    expect(declared.code).toBe(1);
  });
});

describe('no cycle of synchronous dependencies; events may flow back', () => {
  let run: Run;
  let cycles: Violation[];

  beforeAll(async () => {
    const dir = await copyProject('sync-cycle');
    // catalog now calls ordering's API, and ordering already calls catalog's (place-order.ts): a cycle.
    await editFile(dir, 'modules/catalog/index.ts', 'dependsOn: {},', "dependsOn: { ordering: 'zz-probe: asks for orders' },");
    await plant(dir, 'modules/catalog/application/zz-probe-calls-ordering.ts',
      '// paymentsApi, in a comment, is no call.\n' +
        'export const makeProbe = ({ orderingApi }: { orderingApi: Record<string, unknown> }) => orderingApi;\n');
    run = await runCheck(dir);
    cycles = violations(run.stdout).filter(({ rule }) => rule === 'no-sync-cycle');
  });

  it('the shop passes although ordering and inventory, and ordering and payments, depend on each other by events', () => {
    const manifests = new Map(readManifests(root).map((manifest) => [manifest.name, manifest.dependsOn]));
    for (const [one, other] of [['ordering', 'inventory'], ['ordering', 'payments']] as const) {
      expect(Object.keys(manifests.get(one) ?? {})).toContain(other);
      expect(Object.keys(manifests.get(other) ?? {})).toContain(one);
    }
    // The copy has the same mutual dependencies; its only cycle is the planted one.
    expect(cycles).toHaveLength(1);
  });

  it('fails on a cycle of API calls, and shows each call and how to break it', () => {
    expect(run.code).toBe(1);
    const [cycle] = cycles;
    expect(cycle?.from).toBe('modules/catalog/application/zz-probe-calls-ordering.ts');
    expect(cycle?.to).toBe('orderingApi');
    expect(cycle?.text).toContain('cycle: catalog -> ordering -> catalog');
    expect(cycle?.text).toContain('catalog calls ordering: orderingApi in modules/catalog/application/zz-probe-calls-ordering.ts:2');
    expect(cycle?.text).toMatch(/ordering calls catalog: catalogApi in modules\/ordering\/application\/place-order\.ts:\d+/);
    expect(cycle?.text).toContain("Do instead: break one hop of the cycle with events");
    expect(cycle?.text).toContain('let the other direction flow as events');
  });

  it('counts names in code, not in comments, and nothing else in the copy', () => {
    const others = violations(run.stdout).filter(({ rule }) => rule !== 'no-sync-cycle' && rule !== 'no-orphans');
    expect(brief(others)).toEqual([]);
  });
});

describe('layers inside a module, and light contracts', () => {
  let run: Run;
  let found: Violation[];

  beforeAll(async () => {
    const dir = await copyProject('layers');
    const files: Record<string, string> = {
      'modules/zz-probe/index.ts': probeManifest({}),
      // domain/: no framework or database package, also not type-only, also not through the platform.
      'modules/zz-probe/domain/uses-kysely.ts': "import type { Kysely } from 'kysely';\nexport type Db = Kysely<object>;\n",
      'modules/zz-probe/domain/logs.ts': "import type { Logger } from '#platform/logger.ts';\nexport type Log = Logger;\n",
      'modules/zz-probe/domain/allowed.ts':
        "import Type from 'typebox';\nimport { NotFoundError } from '#platform/errors.ts';\nexport const allowed = [Type.String(), NotFoundError];\n",
      'modules/zz-probe/domain/reaches-up.ts': "import { service } from '../application/service.ts';\nexport const up = service;\n",
      'modules/zz-probe/domain/allowed.test.ts': "import { sql } from 'kysely';\nexport const inTests = sql;\n",
      // http/: not to infrastructure/, at run time or by type.
      'modules/zz-probe/http/routes.ts': "import { repo } from '../infrastructure/repo.ts';\nexport const routes = repo;\n",
      'modules/zz-probe/http/types.ts': "import type { Row } from '../infrastructure/repo.ts';\nexport type Shown = Row;\n",
      // kysely and pg at run time only in infrastructure/ (and the platform's db/ and events/); types anywhere.
      'modules/zz-probe/application/service.ts': "import { sql } from 'kysely';\nexport const service = sql;\n",
      'modules/zz-probe/application/typed.ts': "import type { Transaction } from 'kysely';\nexport type Tx = Transaction<object>;\n",
      'modules/zz-probe/infrastructure/repo.ts':
        "import { sql } from 'kysely';\nimport pg from 'pg';\nexport const repo = [sql, pg];\nexport interface Row { id: string }\n",
      'src/platform/zz-probe-sql.ts': "import pg from 'pg';\nexport const pool = pg.Pool;\n",
      // contract.ts: only the platform's contract helpers and typebox.
      'modules/zz-probe/contract.ts':
        "import Type from 'typebox';\nimport { Compile } from 'typebox/compile';\n" +
        "import { defineContract } from '#platform/modules/contract.ts';\nimport { defineEvent } from '#platform/events/event-definition.ts';\n" +
        "import { AppError } from '#platform/errors.ts';\nimport type { Row } from './infrastructure/repo.ts';\n" +
        'export const probe = [Type, Compile, defineContract, defineEvent, AppError];\nexport type ProbeRow = Row;\n',
    };
    for (const [file, source] of Object.entries(files)) await plant(dir, file, source);
    run = await runCheck(dir);
    found = violations(run.stdout).filter(({ rule }) => rule !== 'no-orphans');
  });

  it('fails on each layer and contract violation', () => {
    expect(run.code).toBe(1);
    const expected = [
      { rule: 'domain-is-pure', from: 'modules/zz-probe/domain/uses-kysely.ts', to: 'kysely' },
      { rule: 'domain-is-pure', from: 'modules/zz-probe/domain/logs.ts', to: 'pino' },
      { rule: 'domain-imports-no-other-layer', from: 'modules/zz-probe/domain/reaches-up.ts', to: 'modules/zz-probe/application/service.ts' },
      { rule: 'http-not-to-infrastructure', from: 'modules/zz-probe/http/routes.ts', to: 'modules/zz-probe/infrastructure/repo.ts' },
      { rule: 'http-not-to-infrastructure', from: 'modules/zz-probe/http/types.ts', to: 'modules/zz-probe/infrastructure/repo.ts' },
      { rule: 'database-access-only-in-infrastructure', from: 'modules/zz-probe/application/service.ts', to: 'kysely' },
      { rule: 'database-access-only-in-infrastructure', from: 'src/platform/zz-probe-sql.ts', to: 'pg' },
      { rule: 'contract-stays-light', from: 'modules/zz-probe/contract.ts', to: 'src/platform/errors.ts' },
      { rule: 'contract-stays-light', from: 'modules/zz-probe/contract.ts', to: 'modules/zz-probe/infrastructure/repo.ts' },
    ];
    for (const violation of expected) expect(brief(found), JSON.stringify(violation)).toContainEqual(violation);
  });

  it('allows the rest: errors and typebox in domain/, kysely types in application/, kysely and pg in infrastructure/, tests', () => {
    const allowed = ['domain/allowed.ts', 'domain/allowed.test.ts', 'application/typed.ts', 'infrastructure/repo.ts'];
    expect(brief(found.filter(({ from }) => allowed.some((file) => from.endsWith(file))))).toEqual([]);
    expect(brief(found.filter(({ from, to }) => from.endsWith('/contract.ts') && /^(typebox|src\/platform\/(modules\/contract|events\/event-definition)\.ts)/.test(to)))).toEqual([]);
    // The domain's reach into pino is reported once, through the platform file that imports it (the logger's reach
    // into @opentelemetry/api, for trace ids, is another package and another finding).
    expect(found.filter(({ from, to }) => from.endsWith('/logs.ts') && /(^|\/)pino(\/|$)/.test(to))).toHaveLength(1);
    expect(brief(found.filter(({ from }) => !PROBE.test(from)))).toEqual([]);
  });

  it('teaches: the path through other files, and what to do instead', () => {
    const logs = found.find(({ from }) => from.endsWith('/logs.ts'));
    expect(logs?.text).toContain('via: modules/zz-probe/domain/logs.ts -> src/platform/logger.ts ->');
    expect(logs?.text).toContain('not even through another file or the platform');
    expect(found.find(({ rule }) => rule === 'http-not-to-infrastructure')?.text).toContain('Add or extend a use case in application/');
    expect(found.find(({ rule }) => rule === 'database-access-only-in-infrastructure')?.text).toContain('`import type` is fine');
    expect(found.find(({ rule }) => rule === 'contract-stays-light')?.text).toContain('Declare the schemas in the contract itself');
  });
});
