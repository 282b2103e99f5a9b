import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real project root. */
export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** What a generator script needs to run on a copy: the code it reads, itself, and what it writes. */
const ENTRIES = ['src', 'modules', 'migrations', 'scripts', 'docs', 'contracts', 'package.json', 'tsconfig.json', 'CODEOWNERS'];

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A throw-away copy of the project (node_modules linked to the real one), for tests that change a manifest and run a
 * script against the result without touching the working tree.
 */
export async function copyProject(label: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `seams-${label}-`));
  for (const entry of ENTRIES) await cp(path.join(projectRoot, entry), path.join(dir, entry), { recursive: true });
  await symlink(path.join(projectRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Replaces `from` with `to` in a file of the copy, failing if `from` is not there (so a test cannot edit nothing). */
export async function editFile(dir: string, file: string, from: string, to: string): Promise<void> {
  const target = path.join(dir, file);
  const text = await readFile(target, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}; the test's edit needs updating`);
  // A function, so that `$` in the replacement is taken as it is (a string would read `$'` and `$&` as patterns).
  await writeFile(target, text.replace(from, () => to));
}

/** Runs `node <dir>/<script> [args]` in `dir`, with `env` added to this process's environment. */
export function runScript(dir: string, script: string, args: readonly string[], env: Record<string, string> = {}): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(dir, script), ...args], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
