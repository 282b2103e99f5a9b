/**
 * The module manifests as the boundary check sees them: each folder under `modules/`, the name its manifest
 * (`modules/<name>/index.ts`) gives it, and the modules it declares in `dependsOn`.
 *
 * Read statically, with the TypeScript parser, instead of importing `src/modules.ts`. The boundary check matters most
 * when the code is broken: importing the manifests runs every module's code (and its imports), so one unresolvable
 * import or a throwing `defineModule` would stop the check before it could name the problem. Parsing reads only the
 * manifests, needs no database or environment, and lets `.dependency-cruiser.js` build its rules from them, so a plain
 * `npx depcruise` sees the same rules as `npm run check:boundaries`. The price: `name` and `dependsOn` must be written
 * out as literals, which every manifest does anyway; anything else is refused with a message, never guessed.
 * test/architecture/boundaries-manifests.test.ts checks that this reading agrees with the running manifests.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** One folder under `modules/`, as its manifest declares it. */
export interface ManifestFacts {
  /** The module's name: its folder under `modules/` (the manifest must say the same). */
  readonly name: string;
  /** `modules/<name>/index.ts` relative to the project root, or undefined when the folder has no manifest. */
  readonly manifest: string | undefined;
  /** Declared dependencies: module name -> the reason given. */
  readonly dependsOn: Readonly<Record<string, string>>;
}

/** A manifest the check cannot read without running it. The message says what to write instead. */
export class ManifestUnreadable extends Error {}

const WRITE_IT_OUT =
  'The boundary check reads manifests without running them (scripts/boundaries-manifests.ts), so write `name` as a ' +
  "string and `dependsOn` as an object of 'module': 'reason' strings, directly in the defineModule({ ... }) call.";

/** A string literal, a template without substitutions, or literals joined with `+`; undefined for anything else. */
function literalText(node: ts.Expression): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isParenthesizedExpression(node)) return literalText(node.expression);
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const [left, right] = [literalText(node.left), literalText(node.right)];
    return left === undefined || right === undefined ? undefined : left + right;
  }
  return undefined;
}

function propertyName(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return undefined;
}

/** The object literal passed to the first `defineModule(...)` call in the file. */
function defineModuleArgument(source: ts.SourceFile): ts.ObjectLiteralExpression | undefined {
  let found: ts.ObjectLiteralExpression | undefined;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'defineModule') {
      const [argument] = node.arguments;
      if (argument && ts.isObjectLiteralExpression(argument)) found = argument;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function readDependsOn(file: string, source: ts.SourceFile, node: ts.Expression): Record<string, string> {
  if (!ts.isObjectLiteralExpression(node)) {
    throw new ManifestUnreadable(`${file}: dependsOn is \`${node.getText(source)}\`, not an object literal. ${WRITE_IT_OUT}`);
  }
  const dependsOn: Record<string, string> = {};
  for (const property of node.properties) {
    const name = ts.isPropertyAssignment(property) ? propertyName(property.name) : undefined;
    const reason = ts.isPropertyAssignment(property) ? literalText(property.initializer) : undefined;
    if (name === undefined || reason === undefined) {
      throw new ManifestUnreadable(`${file}: cannot read \`${property.getText(source)}\` in dependsOn. ${WRITE_IT_OUT}`);
    }
    dependsOn[name] = reason;
  }
  return dependsOn;
}

/** Reads one manifest. `file` is relative to `root`, with forward slashes. */
function readManifest(root: string, folder: string, file: string): ManifestFacts {
  const source = ts.createSourceFile(file, readFileSync(path.join(root, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const definition = defineModuleArgument(source);
  if (!definition) throw new ManifestUnreadable(`${file} does not call defineModule({ ... }) with an object literal. ${WRITE_IT_OUT}`);
  const properties = new Map<string, ts.Expression>();
  for (const property of definition.properties) {
    const name = property.name && propertyName(property.name);
    if (name !== undefined && ts.isPropertyAssignment(property)) properties.set(name, property.initializer);
  }

  const nameNode = properties.get('name');
  const name = nameNode && literalText(nameNode);
  if (name === undefined) throw new ManifestUnreadable(`${file}: the module's name is not a string literal. ${WRITE_IT_OUT}`);
  if (name !== folder) {
    throw new ManifestUnreadable(
      `${file} names its module "${name}", but it lives in modules/${folder}/. A module's folder carries its name ` +
        `(so do its migrations/<name>/ and its schema): rename the folder or the module.`,
    );
  }
  const dependsOnNode = properties.get('dependsOn');
  if (!dependsOnNode) throw new ManifestUnreadable(`${file} has no dependsOn. Write \`dependsOn: {}\` when the module needs no other.`);
  return { name, manifest: file, dependsOn: readDependsOn(file, source, dependsOnNode) };
}

/**
 * Every folder under `<root>/modules/`, sorted by name, with what its manifest declares. A folder without an
 * `index.ts` is listed with no dependencies, so its code may import no other module. Throws {@link ManifestUnreadable}
 * for a manifest that cannot be read statically.
 */
export function readManifests(root: string): ManifestFacts[] {
  // TypeScript 7 has no compiler API yet: its package loads, but has none of these functions.
  if (typeof ts.createSourceFile !== 'function') {
    throw new ManifestUnreadable('The installed typescript package has no compiler API (TypeScript 7?), so the manifests cannot be read. Keep typescript pinned to 5.9.x.');
  }
  const modulesDir = path.join(root, 'modules');
  if (!existsSync(modulesDir)) return [];
  return readdirSync(modulesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((folder) => {
      const file = `modules/${folder}/index.ts`;
      return existsSync(path.join(root, file)) ? readManifest(root, folder, file) : { name: folder, manifest: undefined, dependsOn: {} };
    });
}

/** `catalog` -> `catalog`; `order-history` -> `'order-history'`: how to write the name as a key in `dependsOn`. */
export function dependsOnKey(module: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(module) ? module : `'${module}'`;
}
