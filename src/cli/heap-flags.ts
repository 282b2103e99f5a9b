/**
 * The V8 heap flags Seams runs with, wherever it runs: `npm start` (package.json, which must name the same flags; a
 * test holds them together) and the single binary (its SEA configuration's `execArgv`, scripts/build-binary.ts).
 *
 * Left to itself on a machine with many GB, V8 keeps a young generation of 2 × 64 MB and lets the old one grow to about
 * four times what survives before it collects: 380–450 MB of RSS after a minute of reads, for about 40 MB of live
 * objects. A 16 MB semi-space and an old-space cap of 1 GB (which also makes V8 grow the old generation by a smaller
 * factor) keep it near 200 MB at the same CPU per request (BENCHMARKS.md). An app whose live heap needs more than 1 GB
 * raises the cap by running node with a larger `--max-old-space-size` after these (NODE_OPTIONS loses to flags on the
 * command line).
 */
export const HEAP_FLAGS = ['--max-semi-space-size=16', '--max-old-space-size=1024'] as const;
