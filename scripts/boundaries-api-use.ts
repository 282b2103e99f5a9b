/**
 * The synchronous dependencies between modules, read from the code: module A depends on B synchronously when A's
 * production code names `bApi`. That name is the only way to reach another module's API: the container hands it to
 * A's factories under exactly that name, and only when A declares B in `dependsOn` (module-container.ts). Events never
 * need it: a subscriber imports the event from B's contract and `subscribe`s to it, so events may flow back without
 * making a cycle.
 *
 * From those uses come two checks dependency-cruiser cannot make, because neither is an import:
 * - `api-use-is-declared`: A names `bApi` without declaring B in its manifest (start-up would refuse it too, but
 *   only for the modules it runs, and only once someone starts it);
 * - `no-sync-cycle`: the synchronous dependencies form a cycle (A calls B, and B, perhaps through C, calls A).
 *
 * The scan is by name, so it errs on the side of finding too much (a local variable called `catalogApi` counts), and
 * it cannot see a name built at run time (`deps[`${name}Api`]`); start-up's assertNoSyncCycle still checks the
 * resolutions actually made. docs/boundaries.md says why this was chosen over a flag in the manifest.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { apiDependencyName } from '../src/platform/modules/contract.ts';
import { dependsOnKey, type ManifestFacts } from './boundaries-manifests.ts';
import type { Finding } from './boundaries-findings.ts';

/** Module `module` names `provider`'s API in `file` (relative to the project root) at `line` (1-based). */
export interface ApiUse {
  readonly module: string;
  readonly provider: string;
  readonly file: string;
  readonly line: number;
}

/** Rule explanations, printed under each finding (the dependency-cruiser rules carry theirs as `comment`). */
export const API_RULES: Readonly<Record<string, string>> = {
  'api-use-is-declared':
    "A module's code names another module's API (<module>Api), which the container gives it only if its manifest " +
    'declares that module in dependsOn; start-up would fail with a ModuleWiringError. Every dependency is declared, ' +
    "with a reason, so that it is visible in one place and reviewed by the other module's owners.",
  'no-sync-cycle':
    "Modules call each other's APIs in a cycle. Then neither can start, change or be extracted without the other, " +
    'and a call can come back into the module that made it. Keep the synchronous calls pointing one way, and let the ' +
    'other direction flow as events: the called module publishes an event in its contract and the caller subscribes ' +
    'to it (events may flow back).',
};

function productionFiles(root: string, module: string): string[] {
  const folder = path.join(root, 'modules', module);
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

/**
 * Every place a module's production code names another module's API, first use per file. Identifiers and string
 * literals count (`{ catalogApi }`, `deps.catalogApi`, `deps['catalogApi']`); comments do not.
 */
export function findApiUses(root: string, manifests: readonly ManifestFacts[]): ApiUse[] {
  const uses: ApiUse[] = [];
  for (const { name: module } of manifests) {
    const providers = new Map(manifests.filter((other) => other.name !== module).map((other) => [apiDependencyName(other.name), other.name]));
    for (const file of productionFiles(root, module)) {
      const source = ts.createSourceFile(file, readFileSync(path.join(root, file), 'utf8'), ts.ScriptTarget.Latest, true);
      const seen = new Set<string>();
      const visit = (node: ts.Node): void => {
        const text = ts.isIdentifier(node) || ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) ? node.text : undefined;
        const provider = text === undefined ? undefined : providers.get(text);
        if (provider !== undefined && !seen.has(provider)) {
          seen.add(provider);
          uses.push({ module, provider, file, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 });
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
  }
  return uses;
}

function finding(rule: string, use: ApiUse, details: string[], instead: string): Finding {
  const to = apiDependencyName(use.provider);
  return { rule, severity: 'error', from: use.file, to, module: use.module, details, instead };
}

/** Uses of an API whose module the user's manifest does not declare. */
function undeclaredUses(uses: readonly ApiUse[], manifests: ReadonlyMap<string, ManifestFacts>): Finding[] {
  return uses
    .filter((use) => !(use.provider in (manifests.get(use.module)?.dependsOn ?? {})))
    .map((use) =>
      finding(
        'api-use-is-declared',
        use,
        [`line ${use.line}: modules/${use.module} uses the API of modules/${use.provider}`],
        `declare \`dependsOn: { ${dependsOnKey(use.provider)}: '<why>' }\` in modules/${use.module}/index.ts, or do ` +
          `without ${use.provider}'s API (for example, react to its events).`,
      ),
    );
}

/** The strongly connected components of the graph with more than one module (Tarjan), each sorted by name. */
function cyclicGroups(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const groups: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (stack.includes(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      group.push(member);
    } while (member !== node);
    if (group.length > 1) groups.push(group.sort());
  };
  for (const node of [...edges.keys()].sort()) if (!index.has(node)) connect(node);
  return groups;
}

/** A shortest path of calls from `start` back to `start` inside one group (breadth first). */
function cycleThrough(start: string, group: readonly string[], edges: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of [...(edges.get(node) ?? [])].sort()) {
      if (!group.includes(next)) continue;
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start];
}

/** One finding per group of modules whose API calls form a cycle, reported at the call that starts it. */
function syncCycles(uses: readonly ApiUse[]): Finding[] {
  const edges = new Map<string, Set<string>>();
  for (const use of uses) edges.set(use.module, (edges.get(use.module) ?? new Set()).add(use.provider));
  return cyclicGroups(edges).map((group) => {
    const cycle = cycleThrough(group[0]!, group, edges);
    const hops = cycle.slice(0, -1).map((module, step) => uses.find((use) => use.module === module && use.provider === cycle[step + 1])!);
    const [first] = hops;
    return finding(
      'no-sync-cycle',
      first!,
      [`cycle: ${cycle.join(' -> ')}`, ...hops.map((hop) => `${hop.module} calls ${hop.provider}: ${apiDependencyName(hop.provider)} in ${hop.file}:${hop.line}`)],
      `break one hop of the cycle with events: instead of ${first!.module} calling ${cycle[1]}'s API, either ` +
        `${cycle[1]} publishes what ${first!.module} needs to know (and ${first!.module} keeps a copy of it), or ` +
        `${first!.module} publishes an event that ${cycle[1]} reacts to.`,
    );
  });
}

/** The findings about modules' use of each other's APIs: undeclared uses and cycles of synchronous calls. */
export function apiFindings(root: string, manifests: readonly ManifestFacts[]): Finding[] {
  const uses = findApiUses(root, manifests);
  return [...undeclaredUses(uses, new Map(manifests.map((manifest) => [manifest.name, manifest]))), ...syncCycles(uses)];
}
