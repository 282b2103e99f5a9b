/**
 * The README's configuration table, generated from the config schema (src/platform/config.ts), which is the one place
 * every environment variable is described.
 *
 *   node scripts/config-docs.ts --write   (npm run docs:config) rewrites the table between the markers in README.md
 *   node scripts/config-docs.ts --check   (part of npm run check) fails when the table is not what --write would write
 *
 * Exit codes: 0 up to date (or written); 1 the README's table is out of date; 2 the check could not run (no README, no
 * markers, a variable without a description, bad arguments).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigSchema, configVariables } from '#platform/config.ts';

const README = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
const START = '<!-- config:start -->';
const END = '<!-- config:end -->';

const EXIT_OUT_OF_DATE = 1;
const EXIT_CANNOT_RUN = 2;

class CannotRun extends Error {}

/** The table, with a line saying where it comes from, so nobody edits it by hand. */
function configTable(): string {
  const variables = configVariables();
  const missing = variables.filter((variable) => variable.description.trim() === '').map((variable) => variable.name);
  if (missing.length > 0) {
    throw new CannotRun(
      `Every variable in the config schema needs a description; these have none: ${missing.join(', ')}.\n` +
        'Add `description` to each in src/platform/config.ts.',
    );
  }
  return [
    '<!-- Generated from src/platform/config.ts by `npm run docs:config`; edit the schema there, not this table. -->',
    '',
    '| variable | default | allowed values | description |',
    '| --- | --- | --- | --- |',
    ...variables.map((v) => `| ${code(v.name)} | ${v.default === undefined ? '(unset)' : code(v.default)} | ${cell(v.allowed)} | ${cell(v.description)} |`),
  ].join('\n');
}

function code(text: string): string {
  return `\`${text.replaceAll('|', '\\|')}\``;
}

/** A table cell: a pipe would end the cell, a newline the row. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');
}

/** The README with the text between the markers replaced by `table`. */
function withTable(readme: string, table: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end === -1 || end < start) {
    throw new CannotRun(
      `README.md has no configuration table markers. Put these two lines where the table belongs, then run npm run docs:config:\n${START}\n${END}`,
    );
  }
  return `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
}

/** The first line where the two texts differ, to say what is stale without printing a whole diff. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) return `  line ${i + 1}\n  README.md has: ${a[i] ?? '(nothing)'}\n  schema gives:  ${e[i] ?? '(nothing)'}`;
  }
  return '';
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { write: { type: 'boolean' }, check: { type: 'boolean' } }, allowPositionals: false });
  if (values.write === values.check) throw new CannotRun('Usage: node scripts/config-docs.ts --write | --check');

  const readme = await readFile(README, 'utf8').catch(() => {
    throw new CannotRun(`Cannot read ${README}.`);
  });
  const expected = withTable(readme, configTable());

  if (values.write) {
    if (expected !== readme) await writeFile(README, expected);
    process.stdout.write(`config-docs: ${expected === readme ? 'README.md was already up to date' : 'wrote the configuration table in README.md'}\n`);
    return 0;
  }
  if (expected !== readme) {
    process.stderr.write(
      'config-docs FAILED: the configuration table in README.md does not match the config schema (src/platform/config.ts).\n' +
        `${firstDifference(readme, expected)}\n` +
        'Run `npm run docs:config` to regenerate it, and commit the result.\n',
    );
    return EXIT_OUT_OF_DATE;
  }
  process.stdout.write(`config-docs: README.md documents all ${Object.keys(ConfigSchema.properties).length} variables of the config schema\n`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  const message = error instanceof CannotRun ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`config-docs FAILED: ${message}\n`);
  process.exitCode = EXIT_CANNOT_RUN;
}
