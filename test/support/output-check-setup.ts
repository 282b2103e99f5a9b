import { afterEach, expect } from 'vitest';
import { outputProblems } from './log-lines.ts';

// Every test of the suite: what Seams wrote while it ran must be clean log lines (see log-lines.ts).
afterEach(() => {
  const problems = outputProblems.splice(0);
  expect(problems, 'log lines or process output written during this test').toEqual([]);
});
