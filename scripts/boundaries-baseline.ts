/**
 * The ratchet: the committed list of boundary violations that existed when the check was adopted (or that a reviewer
 * accepted on purpose). The check fails only on violations not listed, and on entries that no longer match a
 * violation, so the list can only shrink: fixing a violation forces its entry out, and an entry once removed cannot
 * come back without `--accept-new` showing up in review. docs/boundaries.md explains how to use it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Finding } from './boundaries-findings.ts';

/** Relative to the project root; committed. */
export const BASELINE_FILE = 'boundaries-baseline.json';

/** One known violation. `module` owns the importing file, so each team sees its own debt. */
export interface BaselineEntry {
  readonly rule: string;
  readonly module: string;
  readonly from: string;
  readonly to: string;
}

/** The baseline file exists but is not what this script writes. Exit code 2; the message says what is wrong. */
export class BaselineUnreadable extends Error {}

const ABOUT =
  'Known boundary violations, written by `npm run check:boundaries -- --update-baseline`. The check fails on any ' +
  'violation not listed here and on any entry that no longer matches one, so this list only shrinks. Fix a ' +
  'violation, then delete its entry; never add one by hand. docs/boundaries.md explains the rules and the ratchet.';

export function entryOf(finding: Finding): BaselineEntry {
  return { rule: finding.rule, module: finding.module, from: finding.from, to: finding.to };
}

const keyOf = (entry: BaselineEntry) => JSON.stringify([entry.rule, entry.from, entry.to]);

const isEntry = (value: unknown): value is BaselineEntry =>
  typeof value === 'object' &&
  value !== null &&
  ['rule', 'module', 'from', 'to'].every((field) => typeof (value as Record<string, unknown>)[field] === 'string');

/** The entries of the baseline file in `root`, or undefined when there is none. */
export function readBaseline(root: string): BaselineEntry[] | undefined {
  const file = path.join(root, BASELINE_FILE);
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new BaselineUnreadable(`${BASELINE_FILE} is not valid JSON (${error instanceof Error ? error.message : String(error)}). Restore it from git.`);
  }
  const violations = (parsed as { violations?: unknown } | null)?.violations;
  if (!Array.isArray(violations)) throw new BaselineUnreadable(`${BASELINE_FILE} has no "violations" list. Restore it from git.`);
  const wrong = violations.findIndex((entry) => !isEntry(entry));
  if (wrong >= 0) {
    throw new BaselineUnreadable(
      `${BASELINE_FILE}: entry ${wrong + 1} is ${JSON.stringify(violations[wrong])}; each entry has the strings rule, module, from and to. ` +
        'Restore it from git rather than writing entries by hand.',
    );
  }
  return violations.map(({ rule, module, from, to }: BaselineEntry) => ({ rule, module, from, to }));
}

function compareEntries(left: BaselineEntry, right: BaselineEntry): number {
  return [left.module, left.rule, left.from, left.to].join('\0').localeCompare([right.module, right.rule, right.from, right.to].join('\0'));
}

export function writeBaseline(root: string, entries: readonly BaselineEntry[]): void {
  const violations = [...entries].sort(compareEntries);
  writeFileSync(path.join(root, BASELINE_FILE), `${JSON.stringify({ about: ABOUT, violations }, null, 2)}\n`);
}

export interface Comparison {
  /** Violations the baseline lists: reported as known, not failing. */
  readonly known: Finding[];
  /** Violations the baseline does not list: these fail the check. */
  readonly fresh: Finding[];
  /** Entries that match no violation any more: these fail the check until removed. */
  readonly stale: BaselineEntry[];
}

/** Splits the findings by the baseline. Each entry excuses one finding, so a duplicated entry is stale. */
export function compareWithBaseline(findings: readonly Finding[], baseline: readonly BaselineEntry[]): Comparison {
  const unused = new Map<string, BaselineEntry[]>();
  for (const entry of baseline) unused.set(keyOf(entry), [...(unused.get(keyOf(entry)) ?? []), entry]);
  const known: Finding[] = [];
  const fresh: Finding[] = [];
  for (const finding of findings) {
    const matches = unused.get(keyOf(entryOf(finding)));
    if (matches?.length) {
      matches.pop();
      known.push(finding);
    } else {
      fresh.push(finding);
    }
  }
  return { known, fresh, stale: [...unused.values()].flat() };
}
