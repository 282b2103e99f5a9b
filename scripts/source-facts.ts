/**
 * What the module docs read from source text rather than from the running manifests: the comment on a manifest, the
 * table types in `*.table.ts`, and which other modules' APIs a module's code names. Parsed with the TypeScript
 * compiler, so nothing is executed and no database is needed.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';

/** One column of a table, as the module's Kysely table interface declares it. */
export interface ColumnFacts {
  readonly name: string;
  /** The TypeScript type as written (`Generated<string>`, `string | null`). */
  readonly type: string;
  readonly note: string;
}

export interface TableFacts {
  readonly name: string;
  /** The file that declares it, relative to the project root. */
  readonly source: string;
  readonly note: string;
  readonly columns: readonly ColumnFacts[];
}

function parse(file: string, text: string): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
}

/** The comments right above a node (`/** … *\/` and `// …`), as plain text. */
function commentAbove(source: ts.SourceFile, node: ts.Node): string {
  const text = source.getFullText();
  return (ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [])
    .map((range) => text.slice(range.pos, range.end))
    .map((comment) =>
      comment
        .replace(/^\/\*\*?|\*\/$/g, '')
        .split('\n')
        .map((line) => line.replace(/^\s*(\*|\/\/)\s?/, '').trim())
        .filter((line) => line !== '' && !line.startsWith('eslint-disable'))
        .join(' '),
    )
    .filter((comment) => comment !== '')
    .join(' ');
}

/**
 * The module's tables: each exported interface named `<Something>Tables` in `modules/<name>/infrastructure/*.table.ts`
 * (the type the module's Kysely instance is built on) maps a table name to the interface of its row.
 */
export async function moduleTables(root: string, module: string): Promise<TableFacts[]> {
  const folder = path.join(root, 'modules', module, 'infrastructure');
  const files = (await readdir(folder).catch(() => [] as string[])).filter((file) => file.endsWith('.table.ts')).sort();
  const tables: TableFacts[] = [];
  for (const file of files) {
    const relative = path.posix.join('modules', module, 'infrastructure', file);
    const source = parse(relative, await readFile(path.join(folder, file), 'utf8'));
    const interfaces = new Map(source.statements.filter(ts.isInterfaceDeclaration).map((declaration) => [declaration.name.text, declaration]));
    for (const registry of interfaces.values()) {
      const exported = registry.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword);
      if (!exported || !registry.name.text.endsWith('Tables')) continue;
      for (const member of registry.members.filter(ts.isPropertySignature)) {
        const rowType = member.type && ts.isTypeReferenceNode(member.type) ? interfaces.get(member.type.typeName.getText(source)) : undefined;
        tables.push({
          name: member.name.getText(source),
          source: relative,
          note: [rowType ? commentAbove(source, rowType) : '', commentAbove(source, member)].filter(Boolean).join(' '),
          columns: (rowType ? rowType.members.filter(ts.isPropertySignature) : []).map((column) => ({
            name: column.name.getText(source),
            type: `${column.type?.getText(source).replace(/\s+/g, ' ') ?? 'unknown'}${column.questionToken ? ' (optional)' : ''}`,
            note: commentAbove(source, column),
          })),
        });
      }
    }
  }
  return tables;
}

async function productionFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/**
 * For each container name in `apiNames` (`catalogApi`) that the module's production code uses as an identifier, the
 * members it reads from it (`getProducts`). Comments and strings do not count: only the syntax tree's identifiers do.
 * A module can only reach another module's API by that name (the container hands it in under it), so this is
 * where the module's synchronous calls are.
 */
export async function apiUses(root: string, module: string, apiNames: readonly string[]): Promise<Map<string, Set<string>>> {
  const uses = new Map<string, Set<string>>();
  const wanted = new Set(apiNames);
  for (const file of await productionFiles(path.join(root, 'modules', module))) {
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node) && wanted.has(node.text) && !uses.has(node.text)) uses.set(node.text, new Set());
      if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && wanted.has(node.expression.text)) {
        uses.get(node.expression.text)?.add(node.name.text);
      }
      ts.forEachChild(node, visit);
    };
    visit(parse(file, await readFile(file, 'utf8')));
  }
  return uses;
}
