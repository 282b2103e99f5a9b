/**
 * `createRequire` makes a `require` in an ES module, and with it a way to load another module's internals that
 * dependency-cruiser does not see unless the function is called `require`: it follows `require('…')`, and other
 * names only when listed in its `exoticRequireStrings` option. So the check reads the code for every name bound to
 * `createRequire(…)` (`const load = createRequire(import.meta.url)`), and gives those names to dependency-cruiser:
 * `load('../../catalog/infrastructure/x.ts')` is then an import like any other, judged by every rule. A
 * `createRequire(…)` called at once (`createRequire(import.meta.url)('…')`) has no name to follow; it is reported as
 * `no-hidden-require`. The scan goes by name in all cruised files, so a name bound to createRequire in one file makes
 * calls of that name with a string in others count as requires too: it errs on the side of finding too much.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { owningModule, type Finding } from './boundaries-findings.ts';

export const HIDDEN_REQUIRE_RULES: Readonly<Record<string, string>> = {
  'no-hidden-require':
    'A require made by createRequire and called at once loads a file that the boundary check cannot follow, so it could ' +
    "reach into another module's internals unseen. Use import (or import()) instead; where a require is really " +
    'needed (a CommonJS-only package), name it once, `const require = createRequire(import.meta.url)`, and call that.',
};

const SOURCE = /\.(?:ts|mts|cts|js|mjs|cjs)$/;

function sourceFiles(root: string, targets: readonly string[]): string[] {
  return targets.flatMap((target) =>
    readdirSync(path.join(root, target), { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile() && SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') && !entry.parentPath.includes('node_modules'))
      .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/')),
  );
}

/** `createRequire(…)`, `module.createRequire(…)` or `Module.createRequire(…)`. */
function isCreateRequireCall(node: ts.Node): node is ts.CallExpression {
  if (!ts.isCallExpression(node)) return false;
  const callee = node.expression;
  return (ts.isIdentifier(callee) && callee.text === 'createRequire') || (ts.isPropertyAccessExpression(callee) && callee.name.text === 'createRequire');
}

export interface HiddenRequires {
  /** Names bound to a createRequire(…) result, other than `require` (which dependency-cruiser follows anyway). */
  readonly aliases: string[];
  readonly findings: Finding[];
}

export function findHiddenRequires(root: string, targets: readonly string[]): HiddenRequires {
  const aliases = new Set<string>();
  const findings: Finding[] = [];
  for (const file of sourceFiles(root, targets)) {
    const text = readFileSync(path.join(root, file), 'utf8');
    if (!text.includes('createRequire')) continue;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && isCreateRequireCall(node.initializer) && node.name.text !== 'require') {
        aliases.add(node.name.text);
      }
      if (ts.isCallExpression(node) && isCreateRequireCall(node.expression)) {
        const [first] = node.arguments;
        const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
        findings.push({
          rule: 'no-hidden-require',
          severity: 'error',
          from: file,
          to: first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first)) ? first.text : '(a computed name)',
          module: owningModule(file),
          details: [`line ${line}: ${node.getText(source).slice(0, 120)}`],
          instead: 'import it; or name the require once (`const require = createRequire(import.meta.url)`) and call that.',
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { aliases: [...aliases].sort(), findings };
}
