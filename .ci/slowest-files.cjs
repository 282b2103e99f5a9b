'use strict';
// Prints the slowest test files of a test run, slowest first, so that a run that got slower shows where. It reads the
// file times that test/support/file-durations.ts wrote (`.ci/run` writes one such file per test run): each file's
// whole time, its beforeAll/afterAll included, which vitest's JSON report leaves out.
// Usage: node .ci/slowest-files.cjs <count> <durations.json>...
const fs = require('fs');
const path = require('path');

const [count, ...reports] = process.argv.slice(2);
for (const report of reports) {
  let files;
  try {
    files = JSON.parse(fs.readFileSync(report, 'utf8')).files;
  } catch {
    continue; // no report: the summary says so
  }
  files.sort((a, b) => b.seconds - a.seconds);
  const total = files.reduce((sum, file) => sum + file.seconds, 0);
  const shown = Math.min(Number(count), files.length);
  console.log(`${path.basename(report, '.json').replace(/-files$/, '')}: the ${shown} slowest of ${files.length} files (${total.toFixed(0)}s in all, side by side):`);
  for (const { seconds, file, parts } of files.slice(0, shown)) {
    // The time before its suites ran (environment, setup files, importing the file), where it is a second or more.
    const before = (parts.environment + parts.prepare + parts.setup + parts.collect) / 1000;
    console.log(`  ${seconds.toFixed(1).padStart(6)}s  ${file}${before >= 1 ? `  (${before.toFixed(1)}s of it before its tests)` : ''}`);
  }
}
