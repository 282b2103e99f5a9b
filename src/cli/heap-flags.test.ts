import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HEAP_FLAGS } from './heap-flags.ts';

describe('heap flags', () => {
  it('npm start passes the same flags to node as the binary gets', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toContain(`node ${HEAP_FLAGS.join(' ')} scripts/start.mjs`);
  });

  it('when node runs with them, caps the old generation at 1 GB and the young one at 2 x 16 MB', () => {
    const probe = spawnSync(process.execPath, [...HEAP_FLAGS, '-e', "const v8 = require('node:v8'); console.log(JSON.stringify({ limit: v8.getHeapStatistics().heap_size_limit, newSpace: v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size }))"], { encoding: 'utf8' });
    expect(probe.status).toBe(0);
    const { limit, newSpace } = JSON.parse(probe.stdout) as { limit: number; newSpace: number };
    // The limit counts the young generation too.
    expect(limit / 2 ** 20).toBeGreaterThanOrEqual(1024);
    expect(limit / 2 ** 20).toBeLessThan(1024 + 128);
    expect(newSpace / 2 ** 20).toBeLessThanOrEqual(32);
  });
});
