import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Runtime } from './runtime.ts';

const projectRoot = new URL('../../', import.meta.url);

/** Running from a checkout (`npm start`): migrations, PostgreSQL and static files come from the project's folders. */
export const sourceRuntime: Runtime = {
  program: 'npm start --',
  buildInfo() {
    const { version } = JSON.parse(readFileSync(new URL('package.json', projectRoot), 'utf8')) as { version: string };
    let commit = 'unknown';
    try {
      commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    } catch {
      // Not a git checkout (e.g. a source archive).
    }
    return { version, commit };
  },
};
