/**
 * What changed between a snapshotted JSON Schema of an event version and the one the code declares today, each change
 * classed as breaking or compatible. A version is read by subscribers written against it and holds events stored
 * under it (outboxes, seams_received, dead letters), so:
 * - breaking: anything a subscriber relies on goes or changes (a field removed or renamed, a type changed, a field
 *   that may now be missing), and anything stored events may not satisfy (a field that becomes or is added as
 *   required, an enum, pattern, format, length or range that narrows);
 * - compatible: what only adds room: a new optional field, an enum value or a union variant more, a range that widens,
 *   a constraint dropped, a description reworded.
 * When the comparison cannot tell (a keyword it does not know changed), it says breaking: a false alarm costs a
 * version, a missed break costs the subscribers.
 */

export type SchemaNode = Record<string, unknown>;

export interface SchemaChange {
  readonly kind: 'breaking' | 'compatible';
  /** The field, as `lines[].quantity`; `(payload)` for the payload itself. */
  readonly field: string;
  /** What changed, in words: "removed (or renamed)", "enum narrowed: no longer allows 'x'". */
  readonly change: string;
}

/** Keywords that document and never decide whether a payload is valid. */
const ANNOTATIONS = new Set(['$schema', '$id', '$comment', 'title', 'description', 'examples', 'default', 'deprecated', 'readOnly', 'writeOnly']);
/** Keywords compared by the rules below; any other keyword that changes is breaking. */
const HANDLED = new Set(['type', 'properties', 'required', 'additionalProperties', 'items', 'anyOf', 'enum', 'const', ...lowerBounds(), ...upperBounds()]);

function lowerBounds(): string[] {
  return ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'];
}
function upperBounds(): string[] {
  return ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'];
}

const show = (value: unknown) => JSON.stringify(value);
const child = (field: string, name: string) => (field === '(payload)' ? name : `${field}.${name}`);

/** Every change from `before` (the snapshot) to `after` (the code), breaking ones first. */
export function schemaChanges(before: SchemaNode, after: SchemaNode): SchemaChange[] {
  const changes: SchemaChange[] = [];
  compare(before, after, '(payload)', changes);
  return [...changes.filter((c) => c.kind === 'breaking'), ...changes.filter((c) => c.kind === 'compatible')];
}

function compare(before: SchemaNode, after: SchemaNode, field: string, out: SchemaChange[]): void {
  const breaking = (change: string) => out.push({ kind: 'breaking', field, change });
  const compatible = (change: string) => out.push({ kind: 'compatible', field, change });

  const beforeValues = allowedValues(before);
  const afterValues = allowedValues(after);
  if (beforeValues || afterValues) {
    compareValues(beforeValues, afterValues, breaking, compatible);
    return;
  }
  if (show(before.type) !== show(after.type)) {
    breaking(`type changed from ${show(before.type ?? 'any')} to ${show(after.type ?? 'any')}`);
    return;
  }
  if (before.anyOf !== undefined || after.anyOf !== undefined) compareVariants(before, after, breaking, compatible);

  if (before.properties !== undefined || after.properties !== undefined) compareProperties(before, after, field, out);
  if (before.additionalProperties !== after.additionalProperties) {
    if (after.additionalProperties === false) breaking('no longer allows properties beyond the declared ones');
    else if (before.additionalProperties === false && after.additionalProperties === undefined) compatible('now allows properties beyond the declared ones');
    else if (isNode(before.additionalProperties) && isNode(after.additionalProperties)) compare(before.additionalProperties, after.additionalProperties, `${field}{}`, out);
    else breaking(`additionalProperties changed from ${show(before.additionalProperties)} to ${show(after.additionalProperties)}`);
  }
  if (isNode(before.items) && isNode(after.items)) compare(before.items, after.items, `${field}[]`, out);
  else if (show(before.items) !== show(after.items)) breaking(`items changed from ${show(before.items)} to ${show(after.items)}`);

  for (const bound of lowerBounds()) compareBound(bound, before[bound], after[bound], 'lower', breaking, compatible);
  for (const bound of upperBounds()) compareBound(bound, before[bound], after[bound], 'upper', breaking, compatible);

  for (const keyword of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (HANDLED.has(keyword) || show(before[keyword]) === show(after[keyword])) continue;
    if (ANNOTATIONS.has(keyword)) compatible(`${keyword} changed (documentation only)`);
    else if (after[keyword] === undefined) compatible(`${keyword} ${show(before[keyword])} dropped`);
    else if (before[keyword] === undefined) breaking(`${keyword} ${show(after[keyword])} added, which stored events may not meet`);
    else breaking(`${keyword} changed from ${show(before[keyword])} to ${show(after[keyword])}, which stored events may not meet`);
  }
}

function compareProperties(before: SchemaNode, after: SchemaNode, field: string, out: SchemaChange[]): void {
  const beforeProps = (before.properties ?? {}) as Record<string, SchemaNode>;
  const afterProps = (after.properties ?? {}) as Record<string, SchemaNode>;
  const beforeRequired = new Set((before.required ?? []) as string[]);
  const afterRequired = new Set((after.required ?? []) as string[]);
  for (const [name, schema] of Object.entries(beforeProps)) {
    const at = child(field, name);
    const now = afterProps[name];
    if (!now) {
      out.push({ kind: 'breaking', field: at, change: 'removed (or renamed): subscribers that read it lose it' });
      continue;
    }
    if (!beforeRequired.has(name) && afterRequired.has(name)) out.push({ kind: 'breaking', field: at, change: 'optional -> required: stored events may lack it' });
    if (beforeRequired.has(name) && !afterRequired.has(name)) out.push({ kind: 'breaking', field: at, change: 'required -> optional: subscribers can no longer count on it' });
    compare(schema, now, at, out);
  }
  for (const name of Object.keys(afterProps)) {
    if (name in beforeProps) continue;
    const at = child(field, name);
    if (afterRequired.has(name)) out.push({ kind: 'breaking', field: at, change: 'added as a required field: stored events lack it' });
    else out.push({ kind: 'compatible', field: at, change: 'added as an optional field' });
  }
}

/** The literal values a node allows (`enum`, `const`, or a union of `const`s); undefined when it is not such a node. */
function allowedValues(node: SchemaNode): string[] | undefined {
  if (Array.isArray(node.enum)) return node.enum.map(show);
  if ('const' in node) return [show(node.const)];
  if (Array.isArray(node.anyOf) && node.anyOf.length > 0 && node.anyOf.every((variant) => isNode(variant) && 'const' in variant)) {
    return (node.anyOf as SchemaNode[]).map((variant) => show(variant.const));
  }
  return undefined;
}

function compareValues(before: string[] | undefined, after: string[] | undefined, breaking: (c: string) => void, compatible: (c: string) => void): void {
  if (!before) return breaking(`now allows only ${after!.join(', ')}`);
  if (!after) return compatible(`no longer limited to ${before.join(', ')}`);
  const removed = before.filter((value) => !after.includes(value));
  const added = after.filter((value) => !before.includes(value));
  if (removed.length > 0) breaking(`enum narrowed: no longer allows ${removed.join(', ')}`);
  if (added.length > 0) compatible(`enum widened: now also allows ${added.join(', ')}`);
}

/** A union of schemas: each variant that goes is breaking, each one more is compatible. */
function compareVariants(before: SchemaNode, after: SchemaNode, breaking: (c: string) => void, compatible: (c: string) => void): void {
  const beforeVariants = ((before.anyOf ?? [before]) as SchemaNode[]).map(show);
  const afterVariants = ((after.anyOf ?? [after]) as SchemaNode[]).map(show);
  const removed = beforeVariants.filter((variant) => !afterVariants.includes(variant));
  const added = afterVariants.filter((variant) => !beforeVariants.includes(variant));
  if (removed.length > 0) breaking(`no longer accepts ${removed.join(', ')}`);
  if (added.length > 0) compatible(`now also accepts ${added.join(', ')}`);
}

function compareBound(name: string, before: unknown, after: unknown, side: 'lower' | 'upper', breaking: (c: string) => void, compatible: (c: string) => void): void {
  if (before === after) return;
  if (after === undefined) return compatible(`${name} ${show(before)} dropped: range widened`);
  if (before === undefined) return breaking(`${name} ${show(after)} added: range narrowed`);
  const narrower = side === 'lower' ? Number(after) > Number(before) : Number(after) < Number(before);
  if (narrower) breaking(`${name} ${show(before)} -> ${show(after)}: range narrowed`);
  else compatible(`${name} ${show(before)} -> ${show(after)}: range widened`);
}

function isNode(value: unknown): value is SchemaNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
