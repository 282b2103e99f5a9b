import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The test files that take longest, longest first (measured with `.ci/slowest-files.cjs`; docs/benchmarks-history.md).
 * A fresh clone has no timings of an earlier run, and vitest would then start the largest files first: a 40-second file
 * of 150 lines would start last and run alone at the end while the other worker idles.
 */
export const SLOW_FILES = [
  'test/architecture/new-module.test.ts',
  'test/architecture/boundaries-baseline.test.ts',
  'test/events/nats-guarantees.test.ts',
  'test/process/embedded-start.test.ts',
  'test/process/binary.test.ts',
  'test/process/bad-config.test.ts',
  'test/process/root-private-folder.test.ts',
  'test/topology/split-shop.test.ts',
  'test/observability/otlp-export.test.ts',
  'test/architecture/module-docs.test.ts',
  'test/architecture/boundaries.test.ts',
  'test/architecture/boundaries-rules.test.ts',
  'src/platform/db/embedded-postgres.test.ts',
  'test/architecture/codeowners.test.ts',
  'test/architecture/data-boundary-startup.test.ts',
  'test/operations/database-outage.test.ts',
  // 10 s before its script ran in-process, 6.5 s after (the default reporter's figure: the JSON one leaves out beforeAll).
  'test/architecture/event-contracts.test.ts',
  'test/process/startup-failures.test.ts',
];

/** Starts the files of SLOW_FILES first, in that order; the others follow in vitest's own order. */
export default class SlowFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const index = SLOW_FILES.findIndex((file) => spec.moduleId.endsWith(`/${file}`));
      return index === -1 ? SLOW_FILES.length : index;
    };
    // Array.prototype.sort is stable: the files outside the list keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
