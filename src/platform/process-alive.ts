import { readFileSync } from 'node:fs';

/**
 * Whether a process with this pid is running: it exists (ours or another user's) and is not a zombie, which has
 * exited and merely waits for its parent to reap it. For lock and pid files left by processes that died.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // kill(pid, 0) also succeeds on a zombie, which has exited and merely waits for a slow or absent reaper.
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) === 'Z';
  } catch {
    return false; // no /proc outside Linux
  }
}
