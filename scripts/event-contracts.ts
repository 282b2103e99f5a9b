/**
 * The event contracts' history and checks.
 *
 *   node scripts/event-contracts.ts --write   (npm run events:snapshot) writes contracts/events/<event>.v<N>.json, the
 *                                             JSON Schema of every version of every event the contracts declare
 *   node scripts/event-contracts.ts --check   (part of npm run check) fails when the code and the snapshots differ
 *
 * A snapshotted version is frozen: a breaking change to it (scripts/event-schema-diff.ts) fails both --check and
 * --write, naming the event, the field and the change, and says to publish a new version instead. A compatible change
 * fails --check until --write records it, and both say which kind it was. --check also fails when a subscriber takes a
 * version its producer can no longer downcast to (naming the subscriber), and when a handler is not where the
 * convention puts it (scripts/event-handlers.ts). docs/events.md, "Changing an event", explains each message.
 *
 * Exit codes: 0 up to date (or written); 1 out of date, breaking or refused; 2 could not run.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventDefinition } from '#platform/events/event-definition.ts';
import { subscriptionVersionProblems, versionsOf } from '#platform/events/event-versions.ts';
import type { AnyModule } from '#platform/modules/define-module.ts';
import { modules } from '../src/modules.ts';
import { handlerConventionProblems } from './event-handlers.ts';
import { schemaChanges, type SchemaChange, type SchemaNode } from './event-schema-diff.ts';
import { EXIT_OUT_OF_DATE, parseMode, runGenerator, writeFiles, type GeneratedFile } from './generated-files.ts';

const TOOL = 'event-contracts';
export const SNAPSHOT_DIR = 'contracts/events';
/** Keys the snapshot adds around the schema; not part of what is compared. */
const ENVELOPE = ['$schema', '$id', 'title'];

export const snapshotPath = (name: string, version: number) => `${SNAPSHOT_DIR}/${name}.v${version}.json`;

/** The snapshot of one version: its JSON Schema, named and described. */
export function snapshotOf(event: EventDefinition): string {
  const document = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `urn:seams:event:${event.name}:v${event.version}`,
    title: `${event.name} v${event.version}`,
    description: event.description,
    ...(event.schema as SchemaNode),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Every version of every event the modules' contracts declare, oldest first per event. */
export function declaredVersions(list: readonly AnyModule[]): EventDefinition[] {
  return list.flatMap((module) => Object.values((module.contract?.events ?? {}) as Record<string, EventDefinition>).flatMap(versionsOf));
}

export type Finding =
  | { readonly kind: 'new'; readonly event: EventDefinition }
  | { readonly kind: 'changed'; readonly event: EventDefinition; readonly changes: readonly SchemaChange[] }
  | { readonly kind: 'retired'; readonly file: string };

/** How the snapshots in `root` differ from the declared versions. */
export function compareWithSnapshots(root: string, events: readonly EventDefinition[]): Finding[] {
  const findings: Finding[] = [];
  const declared = new Set<string>();
  for (const event of events) {
    const file = snapshotPath(event.name, event.version);
    declared.add(file);
    const target = path.join(root, file);
    if (!existsSync(target)) {
      findings.push({ kind: 'new', event });
      continue;
    }
    const committed = readFileSync(target, 'utf8');
    if (committed === snapshotOf(event)) continue;
    const changes = schemaChanges(withoutEnvelope(JSON.parse(committed) as SchemaNode), withoutEnvelope(JSON.parse(snapshotOf(event)) as SchemaNode));
    // Only the layout differs (hand-formatted, reordered keys): rewrite it, nothing to judge.
    findings.push({ kind: 'changed', event, changes: changes.length > 0 ? changes : [{ kind: 'compatible', field: '(payload)', change: 'layout of the snapshot only' }] });
  }
  const dir = path.join(root, SNAPSHOT_DIR);
  for (const file of existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.json')).sort() : []) {
    if (!declared.has(`${SNAPSHOT_DIR}/${file}`)) findings.push({ kind: 'retired', file: `${SNAPSHOT_DIR}/${file}` });
  }
  return findings;
}

function withoutEnvelope(node: SchemaNode): SchemaNode {
  return Object.fromEntries(Object.entries(node).filter(([key]) => !ENVELOPE.includes(key)));
}

const breakingOf = (finding: Finding) => (finding.kind === 'changed' ? finding.changes.filter((change) => change.kind === 'breaking') : []);

/** The message for one finding; `mode` says whether it was recorded already (--write) or still has to be. */
export function describe(finding: Finding, mode: 'write' | 'check'): string {
  const record = (file: string) => (mode === 'write' ? `recorded in ${file}` : `run \`npm run events:snapshot\` and commit ${file}`);
  if (finding.kind === 'retired') {
    return (
      `RETIRED ${finding.file}: the contracts no longer declare this version. Retire a version only once no subscriber takes it and no stored ` +
      `event has it (docs/events.md, "Retiring v1"); then ${mode === 'write' ? 'its snapshot was removed' : 'run `npm run events:snapshot` to remove its snapshot'}. Otherwise declare it again.`
    );
  }
  const { event } = finding;
  const label = `${event.name} v${event.version}`;
  const file = snapshotPath(event.name, event.version);
  if (finding.kind === 'new') return `NEW ${label}: no snapshot yet; ${record(file)}. From then on ${label} is frozen.`;
  const breaking = breakingOf(finding);
  if (breaking.length === 0) {
    return [
      `COMPATIBLE ${label}: ${record(file)}.`,
      ...finding.changes.map((change) => `  field ${change.field}: ${change.change} (compatible)`),
    ].join('\n');
  }
  const producer = event.name.slice(0, event.name.indexOf('.'));
  return [
    ...breaking.map((change) => `BREAKING ${label}, field ${change.field}: ${change.change}`),
    `  ${label} is frozen (${file}): its subscribers, and the events stored under it in outboxes, received tables and dead letters, rely on it as it is.`,
    `  Do instead: put v${event.version} back as it was, and publish the change as v${event.version + 1}: in modules/${producer}/contract.ts, ` +
      `defineEvent({ name: '${event.name}', version: ${event.version + 1}, from: <the v${event.version} definition>, upcast, downcast, ... }), ` +
      'with the producer publishing it and each subscriber moving when it is ready. docs/events.md, "Changing an event".',
  ].join('\n');
}

/** What one run printed and how it ended; `main` writes it out. */
export interface ContractsRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * One run on the project in `root`, whose modules are `list`: what --write or --check does, returned instead of
 * printed, so that the tests can run it in-process on a copy of the project (importing the copy's script, whose `list`
 * is then the copy's modules) instead of starting node for each case.
 */
export async function eventContracts(root: string, mode: 'write' | 'check', list: readonly AnyModule[] = modules): Promise<ContractsRun> {
  const events = declaredVersions(list);
  const findings = compareWithSnapshots(root, events);
  const breaking = findings.filter((finding) => breakingOf(finding).length > 0);

  if (mode === 'write') {
    if (breaking.length > 0) {
      const stderr =
        `${breaking.map((finding) => describe(finding, 'check')).join('\n\n')}\n\n` +
        `${TOOL}: NOT writing any snapshot: ${breaking.length === 1 ? 'a frozen version has' : `${breaking.length} frozen versions have`} breaking changes (above).\n`;
      return { code: EXIT_OUT_OF_DATE, stdout: '', stderr };
    }
    const files: GeneratedFile[] = findings.map((finding) =>
      finding.kind === 'retired' ? { path: finding.file, content: null } : { path: snapshotPath(finding.event.name, finding.event.version), content: snapshotOf(finding.event) },
    );
    await writeFiles(root, files);
    const stdout =
      findings.map((finding) => `${describe(finding, 'write')}\n`).join('') +
      `${TOOL}: ${findings.length === 0 ? 'every snapshot was up to date' : `${findings.length} snapshot(s) written or removed`}; ${events.length} event versions in ${SNAPSHOT_DIR}/\n`;
    return { code: 0, stdout, stderr: '' };
  }

  const versionProblems = subscriptionVersionProblems(list);
  const handlerProblems = await handlerConventionProblems(root, list);
  const messages = [
    ...findings.map((finding) => describe(finding, 'check')),
    ...versionProblems.map((problem) => `SUBSCRIBER VERSION ${problem}`),
    ...handlerProblems.map((problem) => `HANDLER ${problem}`),
  ];
  if (messages.length > 0) {
    return { code: EXIT_OUT_OF_DATE, stdout: '', stderr: `${messages.join('\n\n')}\n\n${TOOL} FAILED: the event contracts and their checks disagree with the code (above).\n` };
  }
  return { code: 0, stdout: `${TOOL}: ${events.length} event versions match ${SNAPSHOT_DIR}/; every subscriber gets its version; every handler is in its place\n`, stderr: '' };
}

async function main(): Promise<number> {
  const mode = parseMode('node scripts/event-contracts.ts --write | --check');
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const { code, stdout, stderr } = await eventContracts(root, mode);
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  return code;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runGenerator(TOOL, main);
