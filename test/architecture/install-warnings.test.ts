import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * A clean `npm ci` prints no warning of ours: a newcomer reads an install warning as breakage. The two that did appear
 * were a peer-dependency conflict (@fastify/otel's own @opentelemetry/core 2 wants @opentelemetry/api < 1.10; the
 * override in package.json gives it the core 3 the rest of the SDK uses, which has the two functions it takes) and
 * install scripts not listed in allowScripts (esbuild's checks its binary, which build:binary needs; protobufjs's
 * only prints advice about its own version scheme, so it is denied).
 */

const root = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

describe('the installed dependencies', () => {
  it('have no invalid, missing or conflicting (peer) dependency: `npm ls --all` finds no problem', async () => {
    const { stdout } = await run('npm', ['ls', '--all', '--json'], { cwd: root, maxBuffer: 64 * 1024 * 1024 });

    expect(JSON.parse(stdout).problems ?? []).toEqual([]);
  });

  it('have every install script reviewed in allowScripts', async () => {
    const { stdout } = await run('npm', ['install-scripts', 'ls'], { cwd: root });

    expect(stdout.trim()).toBe('No packages with unreviewed install scripts.');
  });
});
