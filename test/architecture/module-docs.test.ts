import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Type from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEvent } from '#platform/events/event-definition.ts';
import { subscribe } from '#platform/events/subscription.ts';
import { defineContract } from '#platform/modules/contract.ts';
import { defineModule, type AnyModule } from '#platform/modules/define-module.ts';
import { modules } from '../../src/modules.ts';
import { staleFiles } from '../../scripts/generated-files.ts';
import { moduleFacts } from '../../scripts/module-facts.ts';
import { DOCS_FILE, moduleDocs, moduleDocsFiles, moduleMapDot, SVG_FILE } from '../../scripts/module-docs.ts';
import { copyProject, editFile, projectRoot, runScript } from '../support/project-copy.ts';

/** `npm run docs` (scripts/module-docs.ts): docs/modules.md says what the manifests say, and its check catches drift. */

const byName = (name: string): AnyModule => {
  const module = modules.find((candidate) => candidate.name === name);
  if (!module) throw new Error(`No module "${name}" in src/modules.ts`);
  return module;
};

/** The text of one module's section: from its `## name` heading to the next one. */
function section(docs: string, module: string): string {
  const start = docs.indexOf(`\n## ${module}\n`);
  expect(start, `docs have a section for ${module}`).toBeGreaterThan(-1);
  const end = docs.indexOf('\n## ', start + 1);
  return docs.slice(start, end === -1 ? undefined : end);
}

describe('docs/modules.md, generated from the manifests', () => {
  let docs: string;

  beforeAll(async () => {
    docs = moduleDocs(await moduleFacts(modules, projectRoot));
  });

  it("lists each module's owners, and every declared dependency of ordering with its reason", () => {
    for (const module of modules) expect(section(docs, module.name)).toContain(`- **Owners:** ${module.owners.join(', ')}`);
    const ordering = section(docs, 'ordering');
    const reasons = Object.entries(byName('ordering').dependsOn);
    expect(reasons.length).toBeGreaterThan(0);
    for (const [dependency, reason] of reasons) expect(ordering).toContain(`| [${dependency}](#${dependency}) | ${reason} |`);
    // Ordering calls catalog's API; it only hears from inventory and payments through their events.
    expect(ordering).toMatch(/\| \[catalog\]\(#catalog\) \| [^|]+ \| calls its API: `getProducts` \|/);
    expect(ordering).toMatch(/\| \[inventory\]\(#inventory\) \| [^|]+ \| subscribes to StockReserved v1, StockRejected v1 \|/);
  });

  it("renders catalog's getProducts with its input and output schemas", () => {
    const catalog = section(docs, 'catalog');
    expect(catalog).toContain('#### `getProducts`');
    expect(catalog).toContain(byName('catalog').contract!.methods.getProducts.description);
    const [input, output] = catalog.slice(catalog.indexOf('**Input**')).split('**Output**');
    expect(input).toContain('An object: no other fields.');
    expect(input).toContain('| `ids` | array of string | yes | at most 100 items; each format uuid |');
    expect(output).toContain('| `products` | array of objects | yes |');
    expect(output).toContain('| `products[].priceCents` | integer | yes | >= 0 |');
    expect(output).toContain('| `products[].currency` | string | yes | matches `^[A-Z]{3}$` |');
    expect(output).toContain('| `missing` | array of string | yes |');
  });

  it('lists every event order-history consumes, each with the module it comes from', () => {
    const orderHistory = section(docs, 'order-history');
    const subscriptions = byName('order-history').subscriptions ?? [];
    expect(subscriptions.length).toBeGreaterThan(0);
    for (const { event } of subscriptions) {
      const producer = event.name.split('.')[0]!;
      expect(orderHistory).toContain(`| \`${event.name}\` | ${event.version} | [${producer}](#${producer}) |`);
    }
    expect(orderHistory).toContain('No module depends on order-history.');
    expect(orderHistory).toContain('None: order-history publishes no events.');
  });

  it('gives each published event its version, schema and consumers', () => {
    const ordering = section(docs, 'ordering');
    expect(ordering).toContain('#### `ordering.OrderCancelled` v1');
    expect(ordering).toContain('| `reason` | one of "out_of_stock", "payment_declined", "expired" | yes |');
    expect(ordering).toContain('| `paymentMethod` | string | no |');
    // The newest version, with who takes which version and the versions before it.
    const placed = ordering.slice(ordering.indexOf('#### `ordering.OrderPlaced` v2'));
    expect(placed).toMatch(/- \*\*Consumed by:\*\* \[inventory\]\(#inventory\) \(takes v1, downcast\), \[order-history\]\(#order-history\)\n/);
    expect(placed).toContain('- **Earlier versions, still declared:** v1 ([schema](../contracts/events/ordering.OrderPlaced.v1.json))');
    expect(placed).toContain('| `lines[].quantity` | integer | yes | >= 1 |');
    expect(placed).toContain('| `lines[].productName` |');
  });

  it("lists each module's tables and columns from its *.table.ts, with their comments", () => {
    const ordering = section(docs, 'ordering');
    for (const table of ['orders', 'order_lines', 'idempotency_keys']) expect(ordering).toContain(`#### \`${table}\``);
    expect(ordering).toContain('| `cancellation_reason` | `CancellationReason \\| null` |');
    expect(section(docs, 'order-history')).toContain('| `event_name` | `string` | One row per event type (`ordering.OrderPlaced`). |');
    expect(section(docs, 'order-history')).toContain('In the schema `order_history`');
  });

  it('draws sync calls as solid arrows and event flows as dotted ones, in Mermaid and in Graphviz', async () => {
    const map = docs.slice(docs.indexOf('```mermaid'), docs.indexOf('```', docs.indexOf('```mermaid') + 3));
    expect(map).toContain('m_ordering -->|"getProducts"| m_catalog');
    expect(map).toContain('m_catalog -.->|"ProductCreated v1<br/>ProductChanged v1"| m_order_history');
    expect(map).toContain('m_inventory -.->|"StockReserved v1<br/>StockRejected v1"| m_ordering');
    // order-history depends on catalog but never calls it: no solid arrow.
    expect(map).not.toMatch(/m_order_history -->/);
    expect(map.match(/ -->\|/g)).toHaveLength(1);

    const dot = moduleMapDot(await moduleFacts(modules, projectRoot));
    expect(dot).toContain('"ordering" -> "catalog" [label="getProducts", style=solid');
    expect(dot).toContain('"payments" -> "order-history" [label="PaymentCaptured v1\\nPaymentDeclined v1", style=dashed');
  });

  it('is what is committed', async () => {
    const committed = await readFile(path.join(projectRoot, DOCS_FILE), 'utf8');
    expect(committed).toBe(docs);
  });
});

describe('the staleness check of docs/modules.md', () => {
  it('reports docs/modules.md out of date when the module list gains a module', async () => {
    const events = { ThingHappened: defineEvent({ name: 'zz-probe.ThingHappened', version: 2, description: 'A thing happened.', schema: Type.Object({ id: Type.String() }) }) };
    const probe = defineModule({
      name: 'zz-probe',
      owners: ['@seams/probe-team'],
      dependsOn: { catalog: 'probes the docs check' },
      contract: defineContract({ module: 'zz-probe', methods: {}, events }),
      api: () => ({}),
      subscriptions: [subscribe(byName('catalog').contract!.events.ProductCreated, () => async () => undefined)],
    });
    const { files } = await moduleDocsFiles([...modules, probe], projectRoot);

    // Only the Markdown: the SVG is there too when Graphviz is installed.
    expect(await staleFiles(projectRoot, files.filter((file) => file.path === DOCS_FILE))).toEqual([expect.stringMatching(/^docs\/modules\.md is out of date\n/)]);
    const docs = files.find((file) => file.path === DOCS_FILE)!.content!;
    expect(section(docs, 'zz-probe')).toContain('#### `zz-probe.ThingHappened` v2');
    expect(section(docs, 'catalog')).toMatch(/- \*\*Consumed by:\*\* \[order-history\]\(#order-history\), \[zz-probe\]\(#zz-probe\)/);
  });

  describe('on a copy of the project whose manifest changes', () => {
    let copy: Awaited<ReturnType<typeof copyProject>>;
    beforeAll(async () => {
      copy = await copyProject('module-docs');
    });
    afterAll(async () => {
      await copy.remove();
    });

    it('passes, fails once a dependency reason changes, and passes again after --write', async () => {
      const script = 'scripts/module-docs.ts';
      const before = await runScript(copy.dir, script, ['--check']);
      expect(before.stderr).toBe('');
      expect(before.code).toBe(0);
      expect(before.stdout).toContain('docs/modules.md documents all 5 modules');

      const reason = byName('ordering').dependsOn.catalog!;
      await editFile(copy.dir, 'modules/ordering/index.ts', reason, 'quotes need the price of the moment');
      const stale = await runScript(copy.dir, script, ['--check']);
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain('docs/modules.md is out of date');
      // The first line that differs: catalog's "Depended on by" table.
      expect(stale.stderr).toContain(`committed: | [ordering](#ordering) | ${reason} |`);
      expect(stale.stderr).toContain('generated: | [ordering](#ordering) | quotes need the price of the moment |');
      expect(stale.stderr).toContain('Run `npm run docs`');

      expect((await runScript(copy.dir, script, ['--write'])).code).toBe(0);
      expect(await readFile(path.join(copy.dir, DOCS_FILE), 'utf8')).toContain('| [catalog](#catalog) | quotes need the price of the moment |');
      const after = await runScript(copy.dir, script, ['--check']);
      expect(after.code).toBe(0);
    });

    it('draws and checks docs/module-map.svg when Graphviz dot is on the PATH, without its version line', async () => {
      // Graphviz is outside our system and usually not installed here: a stand-in `dot` wraps the DOT it reads.
      const bin = path.join(copy.dir, 'fake-bin');
      await mkdir(bin);
      await writeFile(path.join(bin, 'dot'), "#!/bin/sh\necho '<!-- Generated by graphviz version 99.0 -->'\necho '<svg>'\ncat\necho '</svg>'\n", { mode: 0o755 });
      const env = { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };

      const written = await runScript(copy.dir, 'scripts/module-docs.ts', ['--write'], env);
      expect(written.code).toBe(0);
      expect(written.stdout).toContain(SVG_FILE);
      expect(written.stdout).not.toContain('not installed');
      const svg = await readFile(path.join(copy.dir, SVG_FILE), 'utf8');
      expect(svg).not.toContain('graphviz version');
      expect(svg).toContain('"ordering" -> "catalog" [label="getProducts", style=solid');

      expect((await runScript(copy.dir, 'scripts/module-docs.ts', ['--check'], env)).code).toBe(0);
      await writeFile(path.join(copy.dir, SVG_FILE), svg.replace('getProducts', 'somethingElse'));
      const stale = await runScript(copy.dir, 'scripts/module-docs.ts', ['--check'], env);
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain(`${SVG_FILE} is out of date`);
    });

    it('exits 2 with the usage when given neither --write nor --check', async () => {
      const run = await runScript(copy.dir, 'scripts/module-docs.ts', []);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Usage: node scripts/module-docs.ts --write | --check');
    });
  });
});
