/**
 * A JSON Schema (what TypeBox builds) as a table of fields a reader can scan: `products[].priceCents`, integer,
 * required, `>= 0`. Every keyword it does not know is shown as raw JSON rather than dropped, so the table never
 * claims less than the schema says.
 */

type Schema = Record<string, unknown>;

export interface FieldRow {
  /** `ids`, `products[].id`; `(value)` for a schema that is not an object. */
  readonly path: string;
  readonly type: string;
  readonly required: boolean;
  readonly notes: readonly string[];
}

export interface SchemaFields {
  /** What holds for the whole value (`no other fields`). */
  readonly notes: readonly string[];
  readonly rows: readonly FieldRow[];
}

/** Keywords that `typeOf` and the walk below render (as the type, or by descending into them). */
const STRUCTURAL = new Set(['type', 'properties', 'required', 'items', 'anyOf', 'const', 'enum', 'additionalProperties', '$schema', '$id']);

const json = (value: unknown) => JSON.stringify(value);

const count = (value: unknown, noun: string) => `${value} ${noun}${value === 1 ? '' : 's'}`;

const isSchema = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);

const isObject = (schema: Schema) => schema.type === 'object' || isSchema(schema.properties);

/** A short name for what a value is: `string`, `array of string`, `one of "a", "b"`, `string or null`. */
function typeOf(schema: Schema): string {
  if ('const' in schema) return `exactly ${json(schema.const)}`;
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map(json).join(', ')}`;
  if (Array.isArray(schema.anyOf)) {
    const options = schema.anyOf.filter(isSchema);
    if (options.every((option) => 'const' in option)) return `one of ${options.map((option) => json(option.const)).join(', ')}`;
    return options.map(typeOf).join(' or ');
  }
  if (schema.type === 'array') return isSchema(schema.items) ? `array of ${isObject(schema.items) ? 'objects' : typeOf(schema.items)}` : 'array';
  if (Array.isArray(schema.type)) return schema.type.join(' or ');
  if (typeof schema.type === 'string') return schema.type;
  return isObject(schema) ? 'object' : 'any value';
}

/** The constraints of one schema, in words. */
function constraints(schema: Schema): string[] {
  const notes: string[] = [];
  for (const [keyword, value] of Object.entries(schema)) {
    if (STRUCTURAL.has(keyword)) continue;
    switch (keyword) {
      case 'description':
        notes.unshift(String(value));
        break;
      case 'format':
        notes.push(`format ${value}`);
        break;
      case 'pattern':
        notes.push(`matches \`${value}\``);
        break;
      case 'minimum':
        notes.push(`>= ${value}`);
        break;
      case 'maximum':
        notes.push(`<= ${value}`);
        break;
      case 'exclusiveMinimum':
        notes.push(`> ${value}`);
        break;
      case 'exclusiveMaximum':
        notes.push(`< ${value}`);
        break;
      case 'minLength':
        notes.push(`at least ${count(value, 'character')}`);
        break;
      case 'maxLength':
        notes.push(`at most ${count(value, 'character')}`);
        break;
      case 'minItems':
        notes.push(`at least ${count(value, 'item')}`);
        break;
      case 'maxItems':
        notes.push(`at most ${count(value, 'item')}`);
        break;
      case 'uniqueItems':
        if (value === true) notes.push('items are unique');
        break;
      case 'default':
        notes.push(`default ${json(value)}`);
        break;
      default:
        notes.push(`${keyword}: ${json(value)}`);
    }
  }
  if (schema.additionalProperties === false) notes.push('no other fields');
  else if (isSchema(schema.additionalProperties)) notes.push(`other fields: ${typeOf(schema.additionalProperties)}`);
  return notes;
}

function walk(schema: Schema, path: string, required: boolean, rows: FieldRow[]): void {
  const notes = constraints(schema);
  if (schema.type === 'array' && isSchema(schema.items)) {
    const items = schema.items;
    if (isObject(items)) {
      rows.push({ path, type: typeOf(schema), required, notes });
      walkObject(items, `${path}[]`, rows);
    } else {
      // A list of plain values: one row, with the items' own constraints.
      const itemNotes = constraints(items).map((note) => `each ${note}`);
      rows.push({ path, type: typeOf(schema), required, notes: [...notes, ...itemNotes] });
    }
    return;
  }
  if (isObject(schema) && isSchema(schema.properties)) {
    rows.push({ path, type: 'object', required, notes });
    walkObject(schema, path, rows);
    return;
  }
  rows.push({ path, type: typeOf(schema), required, notes });
}

/** The rows of an object's properties, prefixed with `prefix.`; an object item in a list adds a row for its own notes. */
function walkObject(schema: Schema, prefix: string, rows: FieldRow[]): void {
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const ownNotes = constraints(schema);
  if (prefix.endsWith('[]') && ownNotes.length > 0) rows.push({ path: prefix, type: 'object', required: true, notes: ownNotes });
  for (const [name, property] of Object.entries(isSchema(schema.properties) ? schema.properties : {})) {
    if (isSchema(property)) walk(property, prefix === '' ? name : `${prefix}.${name}`, required.has(name), rows);
  }
}

/** The fields of a schema, top-level notes apart. */
export function schemaFields(schema: Schema): SchemaFields {
  if (isObject(schema) && isSchema(schema.properties)) {
    const rows: FieldRow[] = [];
    walkObject(schema, '', rows);
    return { notes: constraints(schema), rows };
  }
  const rows: FieldRow[] = [];
  walk(schema, '(value)', true, rows);
  return { notes: [], rows };
}

/** The cell text of a table: a pipe would end the cell, a newline the row. */
export function cell(text: string): string {
  return text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');
}

/** The schema as a Markdown table (and a line for whole-value notes), or a sentence for an empty object. */
export function schemaTable(schema: Schema): string {
  const { notes, rows } = schemaFields(schema);
  const lead = notes.length > 0 ? `An object: ${notes.join('; ')}.\n\n` : '';
  if (rows.length === 0) return `${lead || 'An empty object.\n\n'}`.trimEnd();
  return (
    lead +
    [
      '| field | type | required | notes |',
      '| --- | --- | --- | --- |',
      ...rows.map((row) => `| \`${row.path}\` | ${cell(row.type)} | ${row.required ? 'yes' : 'no'} | ${cell(row.notes.join('; '))} |`),
    ].join('\n')
  );
}
