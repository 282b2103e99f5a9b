/**
 * docs/modules.md, generated from the module manifests: per module its owners, dependencies with reasons, API methods
 * with their schemas, events published and consumed, and tables; and a module map (Mermaid in the Markdown, plus
 * docs/module-map.svg when Graphviz `dot` is installed).
 *
 *   node scripts/module-docs.ts --write   (npm run docs) rewrites docs/modules.md (and the SVG, with dot)
 *   node scripts/module-docs.ts --check   (part of npm run check) fails when they are not what --write would write
 *
 * Sources: src/modules.ts and each module's manifest and contract.ts; the comment on each manifest; the table types in
 * modules/<name>/infrastructure/*.table.ts (read as source, so no database is needed); and, for which dependencies
 * are synchronous, the identifiers in each module's code that name another module's API (`catalogApi`).
 *
 * Exit codes: 0 up to date (or written); 1 out of date; 2 could not run.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventDefinition } from '#platform/events/event-definition.ts';
import type { AnyModule } from '#platform/modules/define-module.ts';
import { modules } from '../src/modules.ts';
import { EXIT_OUT_OF_DATE, parseMode, runGenerator, staleFiles, writeFiles, type GeneratedFile } from './generated-files.ts';
import { snapshotPath } from './event-contracts.ts';
import { moduleFacts, type ModuleFacts } from './module-facts.ts';
import { cell, schemaTable } from './schema-fields.ts';

const TOOL = 'module-docs';
export const DOCS_FILE = 'docs/modules.md';
export const SVG_FILE = 'docs/module-map.svg';

const eventLabel = (event: EventDefinition) => `${event.name.slice(event.name.indexOf('.') + 1)} v${event.version}`;
// A prefix keeps a module name from colliding with Mermaid's keywords (`end`, `graph`).
const mermaidId = (module: string) => `m_${module.replaceAll('-', '_')}`;
const list = (items: readonly string[]) => items.map((item) => `\`${item}\``).join(', ');

/** Sync calls (caller -> callee) and event flows (producer -> consumer), the edges of the module map. */
interface MapEdges {
  readonly calls: ReadonlyArray<{ from: string; to: string; label: string }>;
  readonly events: ReadonlyArray<{ from: string; to: string; labels: string[] }>;
}

function mapEdges(facts: readonly ModuleFacts[]): MapEdges {
  const calls = facts.flatMap((module) =>
    module.dependencies
      .filter((dependency) => dependency.callsApi)
      .map((dependency) => ({ from: module.name, to: dependency.module, label: dependency.methodsCalled.length > 0 ? dependency.methodsCalled.join(', ') : 'API' })),
  );
  const events = new Map<string, { from: string; to: string; labels: string[] }>();
  for (const module of facts) {
    for (const consumed of module.consumed) {
      const id = `${consumed.from}->${module.name}`;
      if (!events.has(id)) events.set(id, { from: consumed.from, to: module.name, labels: [] });
      events.get(id)!.labels.push(eventLabel(consumed.event));
    }
  }
  return { calls, events: [...events.values()] };
}

function mermaid(facts: readonly ModuleFacts[], edges: MapEdges): string {
  return [
    '```mermaid',
    'flowchart LR',
    ...facts.map((module) => `  ${mermaidId(module.name)}["${module.name}"]`),
    ...edges.calls.map((call) => `  ${mermaidId(call.from)} -->|"${call.label}"| ${mermaidId(call.to)}`),
    ...edges.events.map((flow) => `  ${mermaidId(flow.from)} -.->|"${flow.labels.join('<br/>')}"| ${mermaidId(flow.to)}`),
    '```',
  ].join('\n');
}

/** The same map in Graphviz's language, for the SVG. */
export function moduleMapDot(facts: readonly ModuleFacts[]): string {
  const edges = mapEdges(facts);
  const quote = (text: string) => JSON.stringify(text);
  return [
    'digraph modules {',
    '  rankdir=LR;',
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
    ...facts.map((module) => `  ${quote(module.name)};`),
    ...edges.calls.map((call) => `  ${quote(call.from)} -> ${quote(call.to)} [label=${quote(call.label)}, style=solid, penwidth=2];`),
    ...edges.events.map((flow) => `  ${quote(flow.from)} -> ${quote(flow.to)} [label=${quote(flow.labels.join('\n'))}, style=dashed, color=gray40];`),
    '}',
    '',
  ].join('\n');
}

function dependencyUse(module: ModuleFacts['dependencies'][number]): string {
  const uses: string[] = [];
  if (module.callsApi) uses.push(`calls its API${module.methodsCalled.length > 0 ? `: ${list(module.methodsCalled)}` : ''}`);
  if (module.eventsConsumed.length > 0) uses.push(`subscribes to ${module.eventsConsumed.map(eventLabel).join(', ')}`);
  return uses.length > 0 ? uses.join('; ') : 'declared, but no API call or subscription was found';
}

function moduleSection(module: ModuleFacts): string {
  const lines: string[] = [`## ${module.name}`, ''];
  if (module.description) lines.push(module.description, '');
  lines.push(
    `- **Owners:** ${module.owners.join(', ')}`,
    `- **Code:** [\`modules/${module.name}/\`](../modules/${module.name}/)`,
    `- **Migrations:** ${module.migrations.length > 0 ? `[\`migrations/${module.name}/\`](../migrations/${module.name}/): ${list(module.migrations)}` : 'none'}`,
    `- **Database schema:** \`${module.schema}\``,
    '',
    '### Depends on',
    '',
  );
  if (module.dependencies.length === 0) lines.push(`Nothing: ${module.name} uses no other module.`, '');
  else {
    lines.push('| module | why | how |', '| --- | --- | --- |');
    for (const dependency of module.dependencies) lines.push(`| [${dependency.module}](#${dependency.module}) | ${cell(dependency.reason)} | ${dependencyUse(dependency)} |`);
    lines.push('');
  }

  lines.push('### Depended on by', '');
  if (module.dependents.length === 0) lines.push(`No module depends on ${module.name}.`, '');
  else {
    lines.push('| module | why |', '| --- | --- |');
    for (const dependent of module.dependents) lines.push(`| [${dependent.module}](#${dependent.module}) | ${cell(dependent.reason)} |`);
    lines.push('');
  }

  lines.push('### API', '');
  if (module.methods.length === 0) lines.push(`None: ${module.name} offers no API methods to other modules.`, '');
  for (const method of module.methods) {
    lines.push(
      `#### \`${method.name}\``,
      '',
      method.description,
      '',
      method.idempotent ? 'Idempotent: calling twice has the effect of calling once, so a remote client may retry it.' : 'Not idempotent: a remote client never retries it.',
      '',
      '**Input**',
      '',
      schemaTable(method.input as Record<string, unknown>),
      '',
      '**Output**',
      '',
      schemaTable(method.output as Record<string, unknown>),
      '',
    );
  }

  lines.push('### Events published', '');
  if (module.published.length === 0) lines.push(`None: ${module.name} publishes no events.`, '');
  for (const { event, earlier, consumers } of module.published) {
    const consumer = ({ module: name, version }: { module: string; version: number }) =>
      `[${name}](#${name})${version === event.version ? '' : ` (takes v${version}, downcast)`}`;
    lines.push(
      `#### \`${event.name}\` v${event.version}`,
      '',
      event.description,
      '',
      `- **Ordering key:** ${event.key ? 'yes; events with the same key reach each subscriber in publish order' : 'none; these events are delivered in no particular order'}`,
      `- **Consumed by:** ${consumers.length > 0 ? consumers.map(consumer).join(', ') : 'no module yet'}`,
      ...(earlier.length > 0
        ? [`- **Earlier versions, still declared:** ${earlier.map((version) => `v${version.version} ([schema](../${snapshotPath(version.name, version.version)}))`).join(', ')}; stored events in them are upcast on delivery`]
        : []),
      `- **Schema history:** [\`${snapshotPath(event.name, event.version)}\`](../${snapshotPath(event.name, event.version)})`,
      '',
      schemaTable(event.schema as Record<string, unknown>),
      '',
    );
  }

  lines.push('### Events consumed', '');
  if (module.consumed.length === 0) lines.push(`None: ${module.name} subscribes to no events.`, '');
  else {
    lines.push('| event | version | from | subscription | partitions |', '| --- | --- | --- | --- | --- |');
    for (const consumed of module.consumed) {
      lines.push(`| \`${consumed.event.name}\` | ${consumed.event.version} | [${consumed.from}](#${consumed.from}) | \`${consumed.subscription}\` | ${consumed.partitions} |`);
    }
    lines.push('');
  }

  lines.push('### Tables', '');
  if (module.tables.length === 0) lines.push(`None found: no \`*Tables\` interface in \`modules/${module.name}/infrastructure/*.table.ts\`.`, '');
  else {
    const sources = [...new Set(module.tables.map((table) => table.source))];
    lines.push(
      `In the schema \`${module.schema}\`, which only this module's role may use. The columns are the types the code reads and writes, from ${sources.map((source) => `[\`${source}\`](../${source})`).join(', ')}; the migrations create them.`,
      '',
    );
    for (const table of module.tables) {
      lines.push(`#### \`${table.name}\``, '');
      if (table.note) lines.push(table.note, '');
      lines.push('| column | type | note |', '| --- | --- | --- |');
      for (const column of table.columns) lines.push(`| \`${column.name}\` | \`${cell(column.type)}\` | ${cell(column.note)} |`);
      lines.push('');
    }
  }
  return lines.join('\n');
}

/** The whole of docs/modules.md. */
export function moduleDocs(facts: readonly ModuleFacts[]): string {
  const edges = mapEdges(facts);
  return [
    '# Modules',
    '',
    '<!-- Generated from the module manifests by `npm run docs` (scripts/module-docs.ts); edit the manifests, contracts and table types, not this file. -->',
    '',
    'What each module owns, offers and uses, generated from the code: the module list in `src/modules.ts`, each',
    "module's manifest (`modules/<name>/index.ts`: owners, `dependsOn` with reasons, subscriptions), its `contract.ts`",
    '(API methods and events, with their TypeBox schemas) and its table types (`infrastructure/*.table.ts`).',
    '`npm run docs` rewrites this page; `npm run check` fails while it differs from the code. How the boundaries are',
    'enforced: [boundaries.md](boundaries.md); how events are delivered: [events.md](events.md).',
    '',
    'Ownership and review follow the manifests too: `npm run codeowners` writes `CODEOWNERS`, and a',
    '`dependents.md` in the folder of each module others depend on, so that a new or changed dependency on a module needs',
    "that module's owners to approve it.",
    '',
    `Modules: ${facts.map((module) => `[${module.name}](#${module.name})`).join(', ')}.`,
    '',
    '## Module map',
    '',
    mermaid(facts, edges),
    '',
    '- **Solid arrow** `a --> b`: a calls b\'s API, synchronously, so a needs b to be up; labelled with the methods a calls.',
    '  Found where the code of a uses `bApi`, the name under which the container hands b\'s API to its declared dependents.',
    '- **Dotted arrow** `a -.-> b`: events flow from a to b; b subscribes to them, labelled with each event and version.',
    '  The declared dependency points the other way: b depends on a, whose events it reads.',
    '- With Graphviz installed, `npm run docs` also draws this map as [module-map.svg](module-map.svg).',
    '',
    ...facts.map(moduleSection),
  ].join('\n');
}

/** `dot -Tsvg` of the map, or undefined when Graphviz is not installed. The version comment is dropped, so the file only changes with the map. */
function renderSvg(dot: string): string | undefined {
  const result = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
  if (result.error || result.status !== 0) return undefined;
  return result.stdout.replace(/<!-- Generated by graphviz[^>]*-->\n?/, '');
}

/** docs/modules.md, and the SVG map when `dot` can draw it (`svg: false` when it cannot). */
export async function moduleDocsFiles(list: readonly AnyModule[], root: string): Promise<{ files: GeneratedFile[]; svg: boolean }> {
  const facts = await moduleFacts(list, root);
  const files: GeneratedFile[] = [{ path: DOCS_FILE, content: moduleDocs(facts) }];
  const svg = renderSvg(moduleMapDot(facts));
  if (svg !== undefined) files.push({ path: SVG_FILE, content: svg });
  return { files, svg: svg !== undefined };
}

async function main(): Promise<number> {
  const mode = parseMode('node scripts/module-docs.ts --write | --check');
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const { files, svg } = await moduleDocsFiles(modules, root);
  const svgNote = svg ? '' : `; Graphviz \`dot\` is not installed, so ${SVG_FILE} was neither drawn nor checked (the Mermaid map in ${DOCS_FILE} is)`;

  if (mode === 'write') {
    const changed = await writeFiles(root, files);
    process.stdout.write(`${TOOL}: ${changed.length === 0 ? `${DOCS_FILE} was already up to date` : `wrote ${changed.join(', ')}`}${svgNote}\n`);
    return 0;
  }
  const stale = await staleFiles(root, files);
  if (stale.length > 0) {
    process.stderr.write(
      `${TOOL} FAILED: the generated module docs do not match the modules' manifests, contracts and table types.\n` +
        `${stale.map((problem) => `  ${problem}`).join('\n')}\n` +
        'Run `npm run docs` to regenerate them, and commit the result.\n',
    );
    return EXIT_OUT_OF_DATE;
  }
  process.stdout.write(`${TOOL}: ${DOCS_FILE} documents all ${modules.length} modules${svgNote}\n`);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runGenerator(TOOL, main);
