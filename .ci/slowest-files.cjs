'use strict';
// Prints the slowest test files of vitest JSON reports (`.ci/run` writes one per test run), slowest first, so that
// a run that got slower shows where. Usage: node .ci/slowest-files.cjs <count> <report.json>...
const fs = require('fs');
const path = require('path');

const [count, ...reports] = process.argv.slice(2);
for (const report of reports) {
  let results;
  try {
    results = JSON.parse(fs.readFileSync(report, 'utf8')).testResults;
  } catch {
    continue; // no report: the summary says so
  }
  const files = results
    .map((file) => ({ name: path.relative(process.cwd(), file.name), seconds: (file.endTime - file.startTime) / 1000 }))
    .sort((a, b) => b.seconds - a.seconds);
  const total = files.reduce((sum, file) => sum + file.seconds, 0);
  console.log(`${path.basename(report, '.json')}: the ${Math.min(Number(count), files.length)} slowest of ${files.length} files (${total.toFixed(0)}s in all, side by side):`);
  for (const file of files.slice(0, Number(count))) console.log(`  ${file.seconds.toFixed(1).padStart(6)}s  ${file.name}`);
}
