import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/** The unprivileged account the embedded server runs as when we are root (PostgreSQL refuses to run as root). */
export interface OsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export const OS_USER = 'postgres';

const execFileAsync = promisify(execFile);

/** The `postgres` account, created if need be (as on a fresh container or CI machine). */
export async function ensureOsUser(): Promise<OsUser> {
  let user = await lookUpOsUser();
  if (!user) {
    // Failures are judged by the look-up below: another process may have created the account at the same moment.
    await execFileAsync('groupadd', ['-f', '--system', OS_USER]).catch(() => undefined);
    await execFileAsync('useradd', ['--system', '--no-create-home', '--gid', OS_USER, OS_USER]).catch(() => undefined);
    user = await lookUpOsUser();
    if (!user) throw new Error(`Running as root, but the OS user "${OS_USER}" does not exist and useradd could not create it.`);
  }
  return user;
}

async function lookUpOsUser(): Promise<OsUser | undefined> {
  try {
    const uid = await execFileAsync('id', ['-u', OS_USER]);
    const gid = await execFileAsync('id', ['-g', OS_USER]);
    return { name: OS_USER, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/**
 * The first folder from `/` down to `target` (included) that `user` cannot enter, or undefined when it can reach
 * `target`. Folders that do not exist yet count as enterable: whoever creates them decides.
 */
export async function blockedFolder(target: string, user: OsUser): Promise<{ folder: string; mode: number } | undefined> {
  const chain: string[] = [];
  for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
    chain.unshift(dir);
    if (dir === path.dirname(dir)) break;
  }
  for (const folder of chain) {
    const stats = await stat(folder).catch(() => undefined);
    if (!stats) return undefined;
    // Node drops supplementary groups when it switches uid, so only the owner, primary group and other bits count.
    const searchBit = stats.uid === user.uid ? 0o100 : stats.gid === user.gid ? 0o010 : 0o001;
    if ((stats.mode & searchBit) === 0) return { folder, mode: stats.mode & 0o777 };
  }
  return undefined;
}
