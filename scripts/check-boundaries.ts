/**
 * `npm run check:boundaries`: cruises the code with dependency-cruiser and the rules in .dependency-cruiser.js (generated
 * from the module manifests), adds the checks on modules' use of each other's APIs (boundaries-api-use.ts) and on
 * requires made by createRequire (boundaries-hidden-requires.ts), prints
 * every violation with the rule's explanation and what to do instead, and fails the build on any error-severity
 * violation that the baseline (boundaries-baseline.json) does not list, and on any baseline entry that matches no
 * violation any more.
 *
 * It also fails when it could not really look: when it cruised zero modules (for example with TypeScript 7, which
 * dependency-cruiser cannot use, so it silently skips every .ts file and "finds no violations"), or when
 * dependency-cruiser reports an environment issue such as a missing TypeScript compiler.
 *
 * Usage: node scripts/check-boundaries.ts [--cwd <project dir>] [--cache <folder>] [--update-baseline [--accept-new]]
 * --update-baseline rewrites the baseline: removes stale entries, and records all violations when there is no
 * baseline yet; it refuses to add new violations to an existing baseline unless --accept-new is given.
 * --cache <folder> keeps the last cruise there (dependency-cruiser's cache, content strategy): a run on the same
 * sources and options reuses it instead of cruising again; any changed file makes it cruise afresh. Keep the folder
 * outside the project's node_modules when that is shared (a symlinked copy would share one cache between copies).
 * Exit codes: 0 clean (warnings allowed); 1 new error-severity violations, stale baseline entries, or an update
 * refused; 2 the check could not run or saw nothing.
 * docs/boundaries.md explains the rules and how to read the output.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cruise, getAvailableTranspilers } from 'dependency-cruiser';
import type { ICruiseOptions, ICruiseResult, IForbiddenRuleType } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { API_RULES, apiFindings } from './boundaries-api-use.ts';
import { BASELINE_FILE, BaselineUnreadable, compareWithBaseline, entryOf, readBaseline, writeBaseline, type BaselineEntry } from './boundaries-baseline.ts';
import { describeFinding, findingOfViolation, type Finding } from './boundaries-findings.ts';
import { findHiddenRequires, HIDDEN_REQUIRE_RULES } from './boundaries-hidden-requires.ts';
import { ManifestUnreadable, readManifests, type ManifestFacts } from './boundaries-manifests.ts';

const CONFIG_FILE = '.dependency-cruiser.js';
/** What gets cruised, relative to the project directory. Folders that do not exist are skipped. */
const TARGETS = ['src', 'modules', 'migrations', 'test', 'scripts'];

const EXIT_VIOLATIONS = 1;
const EXIT_CANNOT_CHECK = 2;

class CannotCheck extends Error {}

const USAGE = 'Usage: node scripts/check-boundaries.ts [--cwd <project dir>] [--cache <folder>] [--update-baseline [--accept-new]]';

function parseCommandLine(): { cwd: string; cache: string | undefined; updateBaseline: boolean; acceptNew: boolean } {
  const { values } = parseArgs({
    options: {
      cwd: { type: 'string' },
      cache: { type: 'string' },
      'update-baseline': { type: 'boolean', default: false },
      'accept-new': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (values['accept-new'] && !values['update-baseline']) throw new CannotCheck(`--accept-new only goes with --update-baseline.\n${USAGE}`);
  return { cwd: path.resolve(values.cwd ?? process.cwd()), cache: values.cache === undefined ? undefined : path.resolve(values.cache), updateBaseline: values['update-baseline'], acceptNew: values['accept-new'] };
}

/** The typescript that dependency-cruiser sees (from its own location), and whether it can use it. */
function typescriptFound(): string {
  let installed = 'not installed';
  try {
    const require = createRequire(import.meta.resolve('dependency-cruiser'));
    installed = `typescript@${(require('typescript/package.json') as { version: string }).version}`;
  } catch {
    // not installed, or its package.json is not exported: say so below
  }
  const typescript = getAvailableTranspilers().find((transpiler) => transpiler.name === 'typescript');
  const usable = typescript?.available ? 'usable' : 'NOT usable';
  return `${installed} (${usable}; dependency-cruiser ${typescript ? `supports typescript ${typescript.version}` : 'knows no typescript'})`;
}

/** The parsed tsconfig, or an empty one when it matches no files (then the cruise finds nothing and says so). */
function loadTsConfig(options: ICruiseOptions): unknown {
  const fileName = options.tsConfig?.fileName;
  if (!fileName) return {};
  if (!existsSync(fileName)) throw new CannotCheck(`${CONFIG_FILE} names tsConfig "${fileName}", which does not exist.`);
  try {
    return extractTSConfig(fileName);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // TS18003: "No inputs were found in config file": there is no TypeScript to check; the zero-modules guard reports it.
    if (message.includes('TS18003')) return {};
    throw new CannotCheck(`${fileName} could not be read:\n${message}`);
  }
}

function zeroModulesExplanation(cwd: string, targets: readonly string[]): string {
  return [
    'check:boundaries FAILED: dependency-cruiser cruised 0 modules, so nothing was checked.',
    '  A boundary check that sees no files would pass silently; this one fails instead.',
    `  It looked in: ${targets.length ? targets.join(', ') : `(none of ${TARGETS.join(', ')} exist)`} under ${cwd}`,
    `  TypeScript found: ${typescriptFound()}`,
    '  Usual causes:',
    '  - TypeScript is missing or too new. dependency-cruiser reads .ts files through the TypeScript compiler API;',
    '    TypeScript 7 (npm "latest") has none yet, so every .ts file is skipped without an error.',
    '    Keep typescript pinned to 5.9.x in package.json devDependencies and run npm install.',
    '  - The command ran in the wrong folder: run it from the repository root (or pass --cwd <root>).',
  ].join('\n');
}

/** Each rule's explanation by name: dependency-cruiser rules carry it as `comment`, the API rules in API_RULES. */
function explanations(options: ICruiseOptions): Map<string, string> {
  const comments = new Map(Object.entries({ ...API_RULES, ...HIDDEN_REQUIRE_RULES }));
  for (const rule of (options.ruleSet?.forbidden ?? []) as IForbiddenRuleType[]) {
    if (rule.name && rule.comment) comments.set(rule.name, rule.comment);
  }
  return comments;
}

const plural = (count: number, word: string, words = `${word}s`) => `${count} ${count === 1 ? word : words}`;

function describeStale(entry: BaselineEntry): string {
  return [
    `STALE BASELINE ENTRY ${entry.rule} (module ${entry.module})`,
    `  ${entry.from} -> ${entry.to}`,
    `  stale baseline entry: remove it from ${BASELINE_FILE} (or run \`npm run check:boundaries -- --update-baseline\`, ` +
      'which removes stale entries). The violation it excused is gone; left in, the entry would let it come back unnoticed.',
  ].join('\n');
}

/** Reads the manifests before anything else, so that one the check cannot read is named as such. */
function manifestsOf(cwd: string): ManifestFacts[] {
  try {
    return readManifests(cwd);
  } catch (error) {
    if (error instanceof ManifestUnreadable) throw new CannotCheck(`${error.message}\n  TypeScript found: ${typescriptFound()}`);
    throw error;
  }
}

function baselineOf(cwd: string): BaselineEntry[] | undefined {
  try {
    return readBaseline(cwd);
  } catch (error) {
    if (error instanceof BaselineUnreadable) throw new CannotCheck(error.message);
    throw error;
  }
}

/**
 * `--update-baseline`: rewrites the baseline to today's violations. Without a baseline it records them all (adopting
 * the check); with one it only removes entries (fixed violations), and refuses to add new violations unless
 * `--accept-new` says so, because the baseline only shrinks.
 */
function updateBaseline(cwd: string, errors: readonly Finding[], baseline: readonly BaselineEntry[] | undefined, acceptNew: boolean): number {
  const { known, fresh, stale } = compareWithBaseline(errors, baseline ?? []);
  if (baseline && fresh.length > 0 && !acceptNew) {
    process.stdout.write(
      `\ncheck:boundaries: NOT updating ${BASELINE_FILE}: ${plural(fresh.length, 'violation')} above ${fresh.length === 1 ? 'is' : 'are'} new, ` +
        'and the baseline only shrinks. Fix them. (To record them anyway, for a reason reviewers will read in the diff, ' +
        'add --accept-new.)\n',
    );
    return EXIT_VIOLATIONS;
  }
  const recorded = baseline && !acceptNew ? known : errors;
  writeBaseline(cwd, recorded.map(entryOf));
  const added = baseline ? fresh.length : errors.length;
  process.stdout.write(
    `\ncheck:boundaries: wrote ${BASELINE_FILE}: ${plural(recorded.length, 'known violation')} ` +
      `(${added} added, ${stale.length} stale removed). Commit it.\n`,
  );
  return 0;
}

async function main(): Promise<number> {
  const { cwd, cache, updateBaseline: update, acceptNew } = parseCommandLine();
  // dependency-cruiser resolves the targets, the tsconfig and its output paths against the process' directory.
  process.chdir(cwd);
  if (!existsSync(CONFIG_FILE)) throw new CannotCheck(`No ${CONFIG_FILE} in ${cwd}.`);
  const manifests = manifestsOf(cwd);
  const baseline = baselineOf(cwd);

  const options = await extractDepcruiseOptions(path.resolve(CONFIG_FILE));
  const tsConfig = loadTsConfig(options);
  const targets = TARGETS.filter((target) => existsSync(target));

  // A require made by createRequire under another name is followed like `require` (boundaries-hidden-requires.ts).
  const hiddenRequires = findHiddenRequires(cwd, targets);
  options.exoticRequireStrings = [...(options.exoticRequireStrings ?? []), ...hiddenRequires.aliases];

  if (cache) options.cache = { folder: cache, strategy: 'content', compress: false };
  let result: ICruiseResult | undefined;
  if (targets.length > 0) {
    const { output } = await cruise(targets, options, {}, { tsConfig });
    if (typeof output === 'string') throw new CannotCheck('dependency-cruiser returned text instead of a cruise result.');
    result = output;
  }

  // dependency-cruiser only warns about these (e.g. "missing-tsc-transpiler"), but each means it likely missed files.
  const issues = result?.summary.environment?.issues ?? [];
  for (const issue of issues) {
    process.stderr.write(`check:boundaries: environment issue "${issue.name}" (the check cannot be trusted):\n    ${issue.description}\n`);
  }

  const totalCruised = result?.summary.totalCruised ?? 0;
  if (!result || totalCruised === 0) {
    process.stderr.write(`${zeroModulesExplanation(cwd, targets)}\n`);
    return EXIT_CANNOT_CHECK;
  }
  const { summary } = result;

  const byName = new Map(manifests.map((manifest) => [manifest.name, manifest]));
  const findings = [
    ...summary.violations.filter((violation) => violation.rule.severity !== 'ignore').map((violation) => findingOfViolation(violation, byName)),
    ...apiFindings(cwd, manifests),
    ...hiddenRequires.findings,
  ];
  const errors = findings.filter((finding) => finding.severity === 'error');
  const { known, fresh, stale } = compareWithBaseline(errors, baseline ?? []);
  const shown = [...findings.filter((finding) => finding.severity !== 'error'), ...fresh];
  const comments = explanations(options);
  for (const finding of shown) process.stdout.write(`\n${describeFinding(finding, comments.get(finding.rule))}\n`);
  if (!update) for (const entry of stale) process.stdout.write(`\n${describeStale(entry)}\n`);
  if (known.length > 0) {
    process.stdout.write(`\nKnown violations, listed in ${BASELINE_FILE} (fix one, then remove its entry):\n`);
    for (const finding of known) process.stdout.write(`  KNOWN ${finding.rule} [${finding.module}]: ${finding.from} -> ${finding.to}\n`);
  }

  const count = (severity: string) => shown.filter((finding) => finding.severity === severity).length;
  process.stdout.write(
    `\ncheck:boundaries: ${totalCruised} modules and ${summary.totalDependenciesCruised ?? 0} dependencies cruised ` +
      `in ${targets.join(', ')}; ${plural(shown.length, 'violation')} (${count('error')} errors, ${count('warn')} warnings, ` +
      `${count('info')} info); ${known.length} known from ${BASELINE_FILE}; ${plural(stale.length, 'stale baseline entry', 'stale baseline entries')}\n`,
  );
  if (issues.length > 0) {
    process.stderr.write('check:boundaries FAILED: dependency-cruiser reported an environment issue (above); fix it first.\n');
    return EXIT_CANNOT_CHECK;
  }
  if (update) return updateBaseline(cwd, errors, baseline, acceptNew);
  if (fresh.length > 0 || stale.length > 0) {
    process.stdout.write(
      `check:boundaries FAILED: ${[fresh.length ? 'fix the errors above' : '', stale.length ? 'remove the stale baseline entries' : ''].filter(Boolean).join(', and ')}; ` +
        'docs/boundaries.md explains each rule and the baseline.\n',
    );
    return EXIT_VIOLATIONS;
  }
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  const message = error instanceof CannotCheck ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`check:boundaries FAILED: the check could not run.\n${message}\n`);
  process.exitCode = EXIT_CANNOT_CHECK;
}
