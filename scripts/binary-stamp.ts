/**
 * The stamp scripts/build-binary.ts writes beside a binary it built (`<binary>.stamp.json`): from which sources, by
 * which Node.js, with or without the embedded PostgreSQL. The process tests (test/support/seams-binary.ts) build the
 * binary only when its stamp says it is not the one this checkout would build: the build (a bundle, a SEA blob, a
 * stripped copy of Node) took a fifth of the binary test's time on every run, for the same file.
 */
import { readFile, stat } from 'node:fs/promises';
import { BUNDLE_INPUTS, inputsFingerprint } from './app-bundle-freshness.mjs';

/** What goes into the binary beyond the bundle's inputs: its build scripts and the console's page. */
const BINARY_INPUTS = [...BUNDLE_INPUTS, 'scripts/build-binary.ts', 'scripts/binary-stamp.ts', 'scripts/build-console.ts', 'console'];

export interface BinaryStamp {
  readonly fingerprint: string;
  readonly node: string;
  readonly withPostgres: boolean;
}

/** The stamp's file for the binary at `binary`. */
export const stampFileOf = (binary: string) => `${binary}.stamp.json`;

/** The stamp a build of `root` by this Node.js would write now (taken before the build: see build-app.ts). */
export function binaryStamp(root: string, withPostgres: boolean): BinaryStamp {
  return { fingerprint: inputsFingerprint(root, BINARY_INPUTS), node: process.version, withPostgres };
}

/** Whether `binary` carries a stamp equal to `expected`; false when either file is missing or unreadable. */
export async function hasStamp(binary: string, expected: BinaryStamp): Promise<boolean> {
  const stamp = await readFile(stampFileOf(binary), 'utf8').then((text) => JSON.parse(text) as BinaryStamp, () => undefined);
  const present = await stat(binary).then((stats) => stats.isFile(), () => false);
  return present && stamp?.fingerprint === expected.fingerprint && stamp.node === expected.node && stamp.withPostgres === expected.withPostgres;
}
