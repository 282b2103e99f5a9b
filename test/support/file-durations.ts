import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * A vitest reporter that writes each test file's whole time to the JSON file SEAMS_FILE_DURATIONS names (`.ci/run`
 * registers it with `--reporter=./test/support/file-durations.ts`; `.ci/slowest-files.cjs` prints the slowest).
 * vitest's JSON report times only the tests of a file, without its beforeAll/afterAll: a file that builds or starts
 * something once for its tests looked 5-10 times faster there than it is (event-contracts 1.7 s against 10.1 s).
 * Here a file's time is what it held its worker: environment, setup files, collecting (importing the file),
 * and its suites with their hooks.
 */
export default class FileDurations implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const output = process.env.SEAMS_FILE_DURATIONS;
    if (!output) return;
    const files = testModules.map((module) => {
      const d = module.diagnostic();
      const ms = d.environmentSetupDuration + d.prepareDuration + d.setupDuration + d.collectDuration + d.duration;
      return {
        file: path.relative(process.cwd(), module.moduleId),
        project: module.project.name,
        seconds: Math.round(ms) / 1000,
        // The parts, for a file whose time is mostly outside its tests.
        parts: {
          environment: Math.round(d.environmentSetupDuration),
          prepare: Math.round(d.prepareDuration),
          setup: Math.round(d.setupDuration),
          collect: Math.round(d.collectDuration),
          suites: Math.round(d.duration),
        },
      };
    });
    writeFileSync(output, `${JSON.stringify({ files }, null, 2)}\n`);
  }
}
