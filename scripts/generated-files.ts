/**
 * Writing and checking files that are generated from the code and committed: the same comparison for `--write` and
 * `--check`, so the check can never disagree with what `--write` would produce.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

/** A file a generator owns: its path relative to the project root, and its content (`null`: it must not exist). */
export interface GeneratedFile {
  readonly path: string;
  readonly content: string | null;
}

export const EXIT_OUT_OF_DATE = 1;
export const EXIT_CANNOT_RUN = 2;

/** The generator cannot do its job (bad arguments, bad input); exit code 2, and the message says what to fix. */
export class CannotRun extends Error {}

/** `--write` or `--check`, exactly one. */
export function parseMode(usage: string): 'write' | 'check' {
  const { values } = parseArgs({ options: { write: { type: 'boolean' }, check: { type: 'boolean' } }, allowPositionals: false });
  if (values.write === values.check) throw new CannotRun(`Usage: ${usage}`);
  return values.write ? 'write' : 'check';
}

async function readOrNull(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The files whose committed content differs from what the generator produces, each with what is wrong. */
export async function staleFiles(root: string, files: readonly GeneratedFile[]): Promise<string[]> {
  const problems: string[] = [];
  for (const file of files) {
    const actual = await readOrNull(path.join(root, file.path));
    if (actual === file.content) continue;
    if (file.content === null) problems.push(`${file.path} should not exist any more: remove it`);
    else if (actual === null) problems.push(`${file.path} is missing`);
    else problems.push(`${file.path} is out of date\n${firstDifference(actual, file.content)}`);
  }
  return problems;
}

/** Writes what differs and removes what should not exist; returns the paths it changed. */
export async function writeFiles(root: string, files: readonly GeneratedFile[]): Promise<string[]> {
  const changed: string[] = [];
  for (const file of files) {
    const target = path.join(root, file.path);
    if ((await readOrNull(target)) === file.content) continue;
    if (file.content === null) {
      await rm(target);
    } else {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, file.content);
    }
    changed.push(file.path);
  }
  return changed;
}

/** The first line where the two texts differ, to say what is stale without printing a whole diff. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) return `    line ${i + 1}\n    committed: ${a[i] ?? '(nothing)'}\n    generated: ${e[i] ?? '(nothing)'}`;
  }
  return '';
}

/**
 * Runs a generator's `main` with the exit codes every generator shares: 0 up to date (or written), 1 out of date,
 * 2 could not run. An unexpected error prints its stack.
 */
export async function runGenerator(tool: string, main: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await main();
  } catch (error) {
    const message = error instanceof CannotRun ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`${tool} FAILED: ${message}\n`);
    process.exitCode = EXIT_CANNOT_RUN;
  }
}
