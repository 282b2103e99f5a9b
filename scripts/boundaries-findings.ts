/**
 * One boundary violation as `npm run check:boundaries` reports it and as the baseline records it, whether
 * dependency-cruiser found it (an import) or the check itself did (a module's use of another module's API). Each
 * carries what a reader needs to fix it: the rule, the two ends, and what to do instead.
 */
import type { IViolation } from 'dependency-cruiser';
import { dependsOnKey, type ManifestFacts } from './boundaries-manifests.ts';

export interface Finding {
  readonly rule: string;
  readonly severity: string;
  /** The importing file (or the file that names another module's API), relative to the project root. */
  readonly from: string;
  /** The imported file, the imported package (by name, not its entry file) or the API used. */
  readonly to: string;
  /** Who owns the importing file: a module's name, or `platform`, `app`, `test`, `scripts`. */
  readonly module: string;
  /** Extra context lines: how the import was written, the cycle, the path through other files. */
  readonly details: readonly string[];
  /** The fix for this very violation, when the check can name it (for example which dependency to declare). */
  readonly instead?: string;
}

/** The module (or area) a file belongs to, which the baseline records as the owner of its violations. */
export function owningModule(file: string): string {
  const inModule = /^(?:modules|migrations)\/([^/]+)\//.exec(file);
  if (inModule) return inModule[1]!;
  if (file.startsWith('src/platform/')) return 'platform';
  if (file.startsWith('src/')) return 'app';
  return file.split('/')[0] ?? file;
}

/**
 * `node_modules/@scope/name/dist/x.js` -> `@scope/name`; anything else unchanged. A package's entry file can change
 * with its version, and node_modules may be a link elsewhere (`../node_modules/...`); the name is what was imported.
 */
function packageOrPath(to: string): string {
  return /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(to)?.[1] ?? to;
}

const MODULE_FILE = /^modules\/([^/]+)\/(.*)$/;

/**
 * For a generated `<module>-uses-only-declared-modules` violation, the precise fix: declare the dependency, use the
 * contract instead of the internals, or both.
 */
function moduleBoundaryAdvice(violation: IViolation, manifests: ReadonlyMap<string, ManifestFacts>): string | undefined {
  const from = MODULE_FILE.exec(violation.from);
  const to = MODULE_FILE.exec(violation.to);
  if (!from || !to || violation.rule.name !== `${from[1]}-uses-only-declared-modules`) return undefined;
  const [consumer, provider, inner] = [from[1]!, to[1]!, to[2]!];
  const declare = `declare \`dependsOn: { ${dependsOnKey(provider)}: '<why>' }\` in modules/${consumer}/index.ts`;
  const declared = provider in (manifests.get(consumer)?.dependsOn ?? {});
  if (inner === 'contract.ts') return `${declare}, or do without ${provider} (for example, react to its events instead).`;
  const useContract = `import what you need from modules/${provider}/contract.ts, not from its internals (${inner})`;
  if (declared) return `${useContract}; if it is not in the contract, ask ${provider}'s owners to add it there.`;
  return `${declare}, or use ${provider}'s contract: ${useContract}.`;
}

/** A dependency-cruiser violation as a finding, with the lines that show where it is. */
export function findingOfViolation(violation: IViolation, manifests: ReadonlyMap<string, ManifestFacts>): Finding {
  const details: string[] = [];
  // `to` is the resolved file (a package by its name); show the specifier as written too when it says something else
  // (#platform/..., a package's subpath).
  const to = packageOrPath(violation.to);
  const written = violation.unresolvedTo;
  if (written && written !== to && !written.startsWith('.')) details.push(`imported as '${written}'`);
  if (violation.cycle?.length) details.push(`cycle: ${[violation.from, ...violation.cycle.map((step) => step.name)].join(' -> ')}`);
  if (violation.via?.length) details.push(`via: ${[violation.from, ...violation.via.map((step) => step.name)].join(' -> ')}`);
  return {
    rule: violation.rule.name,
    severity: violation.rule.severity,
    from: violation.from,
    to,
    module: owningModule(violation.from),
    details,
    instead: moduleBoundaryAdvice(violation, manifests),
  };
}

/**
 * A finding as printed. The first two lines are fixed: `SEVERITY rule (severity)`, then `  from -> to`; tests and
 * people scanning the output rely on them.
 */
export function describeFinding(finding: Finding, explanation: string | undefined): string {
  const lines = [`${finding.severity.toUpperCase()} ${finding.rule} (${finding.severity})`, `  ${finding.from} -> ${finding.to}`];
  for (const detail of finding.details) lines.push(`  ${detail}`);
  if (finding.instead) lines.push(`  Do instead: ${finding.instead}`);
  if (explanation) lines.push(`  ${explanation}`);
  return lines.join('\n');
}
