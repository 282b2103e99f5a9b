import { visit, type ParseError, parse } from 'jsonc-parser';

/**
 * The suite-wide check of what Seams writes: every log line parses as strict JSON and no object in it has the same
 * key twice (log pipelines reject such lines or keep only one value). Test apps log into {@link checkingLogSink};
 * Seams processes started by the tests have their stdout and stderr checked by test/process/seams-process.ts. A test
 * during which anything was written wrong fails in the afterEach of test/support/output-check-setup.ts.
 */
export const outputProblems: string[] = [];

/** Says what is wrong with one log line, or undefined when it is a JSON object with no key twice. */
export function logLineProblem(line: string): string | undefined {
  const errors: ParseError[] = [];
  const value: unknown = parse(line, errors, { disallowComments: true, allowTrailingComma: false });
  if (errors.length > 0 || typeof value !== 'object' || value === null || Array.isArray(value)) return `not a JSON object: ${line.slice(0, 300)}`;
  const duplicates: string[] = [];
  const stack: Array<Set<string>> = [];
  visit(line, {
    onObjectBegin: () => void stack.push(new Set()),
    onObjectEnd: () => void stack.pop(),
    onObjectProperty: (property) => {
      const keys = stack.at(-1)!;
      if (keys.has(property)) duplicates.push(property);
      keys.add(property);
    },
  });
  return duplicates.length > 0 ? `key ${duplicates.map((key) => `"${key}"`).join(', ')} twice in: ${line.slice(0, 300)}` : undefined;
}

/** Records a problem of a line, if it has one. */
export function checkLogLine(line: string, source: string): void {
  const problem = logLineProblem(line);
  if (problem) outputProblems.push(`${source}: ${problem}`);
}

/**
 * A pino destination that checks each line, and writes it on to `echo` (stdout when TEST_LOG_LEVEL asks for logs).
 * `onLine` gets each line parsed, for a test that looks at what was logged.
 */
export function checkingLogSink(echo?: NodeJS.WritableStream, onLine?: (line: Record<string, unknown>) => void): { write(line: string): void } {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (line === '') continue;
        checkLogLine(line, 'test app log');
        if (onLine) onLine(JSON.parse(line) as Record<string, unknown>);
      }
      echo?.write(chunk);
    },
  };
}
