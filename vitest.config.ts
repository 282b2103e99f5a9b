import { defineConfig } from 'vitest/config';
import { useNodeCompileCache } from './test/support/compile-cache.ts';
import SlowFilesFirst from './test/support/slow-files-first.ts';
import { testWorkerCount } from './test/support/worker-count.ts';

/**
 * Two projects, run side by side on one pool of workers:
 * - `isolated`: files that change process-wide state (they start the OpenTelemetry SDK, which registers global
 *   providers and module hooks) or spawn whole processes of the app; each file gets a fresh module graph.
 * - `shared` (every other file): `isolate: false`, so one worker imports the app's module graph (fastify, pg, kysely,
 *   the OpenTelemetry API, every module) once and reuses it across its files, instead of once per file. The files
 *   keep no state in modules: each builds its own app (one container per app) and its own records.
 * Three files at a time on a 2-core machine (vitest would take one): most files wait on PostgreSQL, NATS or other
 * processes most of the time. Measured on a quiet 2-core machine (2026-12-07, embedded PostgreSQL, 1442 tests): 137 s
 * with three workers against 150 s with two (the two-worker run even reused the built binary); more workers than that
 * made the CPU-bound files (the scripts the architecture tests run, the process tests) time out under load. Fewer when
 * the database server has too few connections for three (test/support/worker-count.ts).
 */
useNodeCompileCache(import.meta.dirname);

const ISOLATED = [
  'test/observability/**/*.test.ts',
  'test/process/**/*.test.ts',
  'test/events/nats-trace.test.ts',
  'test/topology/remote-catalog.test.ts',
];
const ALL = ['src/**/*.test.ts', 'modules/**/*.test.ts', 'test/**/*.test.ts'];

export default defineConfig(async () => ({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // Every log line and process output written during a test is checked after it (test/support/log-lines.ts).
    setupFiles: ['test/support/output-check-setup.ts'],
    // A test that runs a script of the project (a few node processes in turn) takes 10-20 s on a busy 2-core machine
    // with another file beside it.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: await testWorkerCount(),
    // The longest files first, so that none of them starts near the end and runs on alone.
    sequence: { sequencer: SlowFilesFirst },
    projects: [
      { extends: true, test: { name: 'shared', include: ALL, exclude: ISOLATED, isolate: false } },
      { extends: true, test: { name: 'isolated', include: ISOLATED } },
    ],
  },
}));
