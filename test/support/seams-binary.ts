import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, readlink, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { binaryStamp, hasStamp } from '../../scripts/binary-stamp.ts';
import { projectRoot, type SeamsCommand } from '../process/seams-process.ts';

/**
 * The single binary for process tests: the one `.ci/run` built (SEAMS_BINARY), or `npm run build:binary` of this
 * checkout into dist/, so that a test never runs a binary of older code. The build is skipped when dist/ holds the
 * binary such a build would write now (its stamp: the same sources, Node.js and PostgreSQL in it).
 */
export async function seamsBinary(): Promise<string> {
  if (process.env.SEAMS_BINARY) return path.resolve(process.env.SEAMS_BINARY);
  const output = path.join(projectRoot, 'dist', 'seams-linux-x64');
  if (await hasStamp(output, binaryStamp(projectRoot, true))) return output;
  const build = spawn(process.execPath, [path.join(projectRoot, 'scripts', 'build-binary.ts'), '--out', output], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  build.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  build.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => build.once('close', resolve));
  if (code !== 0) throw new Error(`npm run build:binary failed (exit ${code}):\n${log}`);
  return output;
}

/**
 * A folder of links to the only programs the binary may need (a shell for pg_ctl, and, as root, the account and
 * ownership tools), to be the whole PATH: there is no `node` in it, so the binary cannot lean on one.
 */
export async function pathWithoutNode(folder: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  for (const program of ['sh', 'id', 'chown', 'groupadd', 'useradd']) {
    const found = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).stdout.trim();
    if (found) await symlink(found, path.join(folder, program));
  }
  if ((await readdir(folder)).includes('node')) throw new Error('the PATH for the binary must not hold node');
  return folder;
}

/** The binary as a command with an empty environment (`env -i`), run in `cwd`. */
export const binaryCommand = (binary: string, cwd: string, args: readonly string[] = []): SeamsCommand => ({ file: binary, args, cwd, cleanEnv: true });

/**
 * The executables of every live process descended from `pid` (children, theirs, …), by /proc: what the binary has
 * started. PostgreSQL's server detaches (pg_ctl), so it is not among them, but pg_ctl, initdb or a node would be.
 */
export async function descendantExecutables(pid: number): Promise<string[]> {
  const parents = new Map<number, number>();
  for (const name of (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry))) {
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] && fields[0] !== 'Z') parents.set(Number(name), Number(fields[1]));
  }
  const descendants = new Set<number>([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [child, parent] of parents) {
      if (descendants.has(parent) && !descendants.has(child)) {
        descendants.add(child);
        grew = true;
      }
    }
  }
  descendants.delete(pid);
  return Promise.all([...descendants].map((child) => readlink(`/proc/${child}/exe`).catch(() => '(gone)')));
}

/** Whether `file` is there, as a file or folder. */
export const exists = (file: string) => stat(file).then(() => true, () => false);
