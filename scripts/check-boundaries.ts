/**
 * `npm run check:boundaries`: cruises the code with dependency-cruiser and the rules in .dependency-cruiser.js, prints
 * every violation with the rule's explanation, and fails the build on any error-severity violation.
 *
 * It also fails when it could not really look: when it cruised zero modules (for example with TypeScript 7, which
 * dependency-cruiser cannot use, so it silently skips every .ts file and "finds no violations"), or when
 * dependency-cruiser reports an environment issue such as a missing TypeScript compiler.
 *
 * Usage: node scripts/check-boundaries.ts [--cwd <project dir>]
 * Exit codes: 0 clean (warnings allowed); 1 error-severity violations; 2 the check could not run or saw nothing.
 * docs/boundaries.md explains the rules and how to read the output.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cruise, getAvailableTranspilers } from 'dependency-cruiser';
import type { ICruiseOptions, ICruiseResult, IForbiddenRuleType, IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const CONFIG_FILE = '.dependency-cruiser.js';
/** What gets cruised, relative to the project directory. Folders that do not exist are skipped. */
const TARGETS = ['src', 'modules', 'migrations', 'test', 'scripts'];

const EXIT_VIOLATIONS = 1;
const EXIT_CANNOT_CHECK = 2;

class CannotCheck extends Error {}

function parseCommandLine(): { cwd: string } {
  const { values } = parseArgs({
    options: { cwd: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write('Usage: node scripts/check-boundaries.ts [--cwd <project dir>]\n');
    process.exit(0);
  }
  return { cwd: path.resolve(values.cwd ?? process.cwd()) };
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

function describeViolation(violation: IViolation, comments: ReadonlyMap<string, string>): string {
  const { name, severity } = violation.rule;
  // `to` is the resolved file; show the specifier as written too when it is not a plain relative path (#platform/...).
  const written = violation.unresolvedTo;
  const asWritten = written && written !== violation.to && !written.startsWith('.') ? ` (imported as '${written}')` : '';
  const lines = [`${severity.toUpperCase()} ${name} (${severity})`, `  ${violation.from} -> ${violation.to}${asWritten}`];
  if (violation.cycle?.length) {
    lines.push(`  cycle: ${[violation.from, ...violation.cycle.map((step) => step.name)].join(' -> ')}`);
  }
  if (violation.via?.length) {
    lines.push(`  via: ${[violation.from, ...violation.via.map((step) => step.name)].join(' -> ')}`);
  }
  const comment = comments.get(name);
  if (comment) lines.push(`  ${comment}`);
  return lines.join('\n');
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

async function main(): Promise<number> {
  const { cwd } = parseCommandLine();
  // dependency-cruiser resolves the targets, the tsconfig and its output paths against the process' directory.
  process.chdir(cwd);
  if (!existsSync(CONFIG_FILE)) throw new CannotCheck(`No ${CONFIG_FILE} in ${cwd}.`);

  const options = await extractDepcruiseOptions(path.resolve(CONFIG_FILE));
  const tsConfig = loadTsConfig(options);
  const targets = TARGETS.filter((target) => existsSync(target));

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

  const comments = new Map<string, string>();
  for (const rule of (options.ruleSet?.forbidden ?? []) as IForbiddenRuleType[]) {
    if (rule.name && rule.comment) comments.set(rule.name, rule.comment);
  }
  const shown = summary.violations.filter((violation) => violation.rule.severity !== 'ignore');
  for (const violation of shown) process.stdout.write(`\n${describeViolation(violation, comments)}\n`);

  const violations = `${shown.length} violation${shown.length === 1 ? '' : 's'}`;
  process.stdout.write(
    `\ncheck:boundaries: ${totalCruised} modules and ${summary.totalDependenciesCruised ?? 0} dependencies cruised ` +
      `in ${targets.join(', ')}; ${violations} (${summary.error} errors, ${summary.warn} warnings, ${summary.info} info)\n`,
  );
  if (issues.length > 0) {
    process.stderr.write('check:boundaries FAILED: dependency-cruiser reported an environment issue (above); fix it first.\n');
    return EXIT_CANNOT_CHECK;
  }
  if (summary.error > 0) {
    process.stdout.write('check:boundaries FAILED: fix the errors above; docs/boundaries.md explains each rule.\n');
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
