/**
 * Helpers for the tests of `npm run check:boundaries`: copy the project to a temporary folder, plant files in the copy,
 * run the check there, and read its output.
 */
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScript, type ScriptRun } from '../support/project-copy.ts';

export const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * What a copy of the project needs for the check: sources, config and the baseline; and .gitignore, which keeps
 * dependency-cruiser's cache (--cache) from hashing the linked node_modules.
 */
export const PROJECT_ENTRIES = [
  '.gitignore',
  'src',
  'modules',
  'migrations',
  'test',
  'scripts',
  'package.json',
  'tsconfig.json',
  '.dependency-cruiser.js',
  'boundaries-baseline.json',
];

export type Run = ScriptRun;

/** One reported violation: its first two lines, and the whole block (details, advice, explanation). */
export interface Violation {
  rule: string;
  severity: string;
  from: string;
  to: string;
  text: string;
}

const tempDirs: string[] = [];

/**
 * Runs `node <projectDir>/scripts/check-boundaries.ts [args]` in projectDir; `env` is added to the environment (for
 * example NODE_OPTIONS).
 */
export function runCheck(projectDir: string, args: readonly string[] = [], env: Record<string, string> = {}): Promise<Run> {
  return runScript(projectDir, 'scripts/check-boundaries.ts', args, env);
}

/** The violations as the script prints them: "SEVERITY rule (severity)", then "  from -> to", then more lines. */
export function violations(output: string): Violation[] {
  return output
    .split('\n\n')
    .map((block) => block.trim())
    .flatMap((text) => {
      const match = /^(?:ERROR|WARN|INFO) (\S+) \((\w+)\)\n {2}(\S+) -> (\S+)/.exec(text);
      return match ? [{ rule: match[1]!, severity: match[2]!, from: match[3]!, to: match[4]!, text }] : [];
    });
}

/** The stale baseline entries as the script prints them. */
export function staleEntries(output: string): Array<{ rule: string; from: string; to: string }> {
  return [...output.matchAll(/^STALE BASELINE ENTRY (\S+) \(module \S+\)\n {2}(\S+) -> (\S+)/gm)].map(([, rule, from, to]) => ({ rule: rule!, from: from!, to: to! }));
}

export function cruisedModules(output: string): number {
  const match = /check:boundaries: (\d+) modules/.exec(output);
  return match ? Number(match[1]) : -1;
}

export async function tempDir(label: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `seams-boundaries-${label}-`));
  tempDirs.push(dir);
  return dir;
}

/** A copy of the project's sources and config, with node_modules linked to the real one. */
export async function copyProject(label: string, entries: readonly string[] = PROJECT_ENTRIES): Promise<string> {
  const dir = await tempDir(label);
  for (const entry of entries) await cp(path.join(root, entry), path.join(dir, entry), { recursive: true });
  await symlink(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

export async function plant(dir: string, file: string, source: string): Promise<void> {
  await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
  await writeFile(path.join(dir, file), source);
}

/** A manifest for a throw-away module `zz-probe` that declares `dependsOn`. */
export function probeManifest(dependsOn: Record<string, string>): string {
  const entries = Object.entries(dependsOn).map(([name, reason]) => `'${name}': '${reason}'`);
  return (
    "import { defineModule } from '#platform/modules/define-module.ts';\n" +
    `export const probeModule = defineModule({ name: 'zz-probe', owners: ['@probe'], dependsOn: { ${entries.join(', ')} } });\n`
  );
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}
