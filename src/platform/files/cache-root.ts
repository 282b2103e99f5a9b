import os from 'node:os';
import path from 'node:path';

/**
 * Where Seams keeps what it unpacks or copies (CACHE_DIR unset): `~/.cache/seams`. As root, `/var/cache/seams`
 * instead: the embedded PostgreSQL then runs as the OS user postgres, which must read it, and root's home is usually
 * private (mode 700).
 */
export function defaultCacheRoot(): string {
  if (process.getuid?.() === 0) return '/var/cache/seams';
  return path.join(os.homedir(), '.cache', 'seams');
}
