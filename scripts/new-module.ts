/**
 * `npm run new:module -- <name> [--owner <@org/team>] [--description "<one line>"]`: creates a module that is ready to
 * use: its manifest, contract, an example route, use case and repository, its first migration, and tests beside the
 * code (templates in new-module-templates.ts). Then prints what to do next: list it in src/modules.ts, and regenerate
 * what is derived from the manifests. After that, `npm run check` and `npm test` pass with no further edits.
 *
 * Bad names are refused before anything is written, with the reason and what to use instead.
 *
 * Usage: node scripts/new-module.ts <name> [--owner <owner>] [--description <text>] [--cwd <project dir>]
 * Exit codes: 0 created; 1 refused (nothing written).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { moduleFiles, type ModuleNames } from './new-module-templates.ts';

const MODULE_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const MAX_LENGTH = 40;
/** A GitHub user or team, or an e-mail address: what CODEOWNERS accepts. */
const OWNER = /^(@[A-Za-z0-9][A-Za-z0-9-]*(\/[A-Za-z0-9_.-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+)$/;
/** Scripts that regenerate files from the manifests; a new module must be run through each one the project has. */
const GENERATORS = ['codeowners', 'docs'];

/** Names a module cannot take, and why. Route prefixes that code already uses are found by {@link routePrefixUser}. */
const RESERVED: Record<string, string> = {
  all: 'MODULES=all means "every module", so a module named "all" could never be run alone',
  platform: 'src/platform is the framework (imported as #platform/*); a module named so would read as part of it',
  internal: 'the platform serves module APIs to other processes under /internal/modules/',
  admin: "the platform's admin API lives under /admin/ (event lag, dead letters, replay)",
  health: 'the platform answers /health/live and /health/ready',
  metrics: 'the platform answers /metrics',
  docs: 'the API documentation is served at /docs',
  events: "the platform's event bus is src/platform/events, with its admin API under /admin/events",
  public: "PostgreSQL's default schema is public: the module would take it over",
  'information-schema': "its schema would be PostgreSQL's information_schema",
  seams: "the project's name: it prefixes the platform's own tables (seams_outbox, …) and connections (seams:…)",
  test: 'test/ holds the cross-module tests, and test databases and their roles are named seams_test_…',
  src: 'a top-level folder of the project',
  scripts: 'a top-level folder of the project',
  migrations: 'a top-level folder of the project',
  modules: 'a top-level folder of the project',
  // A module is a business capability (docs: STYLE.md, "Our conventions" 1), never a technical role.
  shared: 'a module is a business capability, not a technical role; shared code belongs in src/platform or in a contract',
  common: 'a module is a business capability, not a technical role; shared code belongs in src/platform or in a contract',
  core: 'a module is a business capability, not a technical role',
  utils: 'a module is a business capability, not a technical role',
  services: 'a module is a business capability, not a technical role',
};

/** PostgreSQL's reserved key words (pg_get_keywords(), catcode 'R'): as a schema name, every query would need quotes. */
const SQL_RESERVED = new Set(
  ('all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create current_catalog ' +
    'current_date current_role current_time current_timestamp current_user default deferrable desc distinct do else end except ' +
    'false fetch for foreign from grant group having in initially intersect into lateral leading limit localtime localtimestamp ' +
    'not null offset on only or order placing primary references returning select session_user some symmetric table then to ' +
    'trailing true union unique user using variadic when where window with').split(' '),
);

class Refused extends Error {}

function parseCommandLine() {
  const { values, positionals } = parseArgs({
    options: {
      owner: { type: 'string' },
      description: { type: 'string' },
      cwd: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write('Usage: npm run new:module -- <name> [--owner <@org/team>] [--description "<one line>"]\n');
    process.exit(0);
  }
  if (positionals.length !== 1) {
    throw new Refused(
      `Expected one module name, got ${positionals.length === 0 ? 'none' : positionals.map((p) => `"${p}"`).join(', ')}. ` +
        'Usage: npm run new:module -- <name>, e.g. npm run new:module -- billing',
    );
  }
  return { name: positionals[0]!, owner: values.owner, description: values.description, root: path.resolve(values.cwd ?? process.cwd()) };
}

/** `Order_History`, `order history` -> `order-history`: what the user probably meant. */
function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '');
}

/** Why `name` cannot be a new module in `root`, or undefined when it can. */
function refusal(name: string, root: string): string | undefined {
  const instead = kebabCase(name);
  const suggestion = instead && instead !== name ? ` Use "${instead}" instead.` : '';
  const why = 'A module name is its folder, its PostgreSQL schema and role, and the first segment of its routes.';
  if (/[A-Z]/.test(name)) return `Module name "${name}" has uppercase letters. ${why} It is lowercase kebab-case.${suggestion}`;
  if (!MODULE_NAME.test(name)) {
    return `Module name "${name}" is not kebab-case: lowercase letters and digits, words joined by single "-", starting with a letter. ${why}${suggestion}`;
  }
  if (name.length > MAX_LENGTH) return `Module name "${name}" is ${name.length} characters long; keep it to ${MAX_LENGTH} or fewer. ${why}`;
  const reserved = RESERVED[name];
  if (reserved) return `Module name "${name}" is reserved: ${reserved}. Choose a name for the business capability the module owns.`;
  if (name.startsWith('pg-')) return `Module name "${name}" is reserved: PostgreSQL keeps schema names starting with pg_ for itself.`;
  if (SQL_RESERVED.has(name.replaceAll('-', '_'))) {
    return `Module name "${name}" is a reserved word in SQL, so its schema would need quotes in every query. Choose another, e.g. "${name}s".`;
  }
  const taken = [`modules/${name}`, `migrations/${name}`].find((folder) => existsSync(path.join(root, folder)));
  if (taken) return `Module "${name}" already exists (${taken}/ is there). Choose another name, or change that module instead.`;
  const user = routePrefixUser(name, root);
  if (user) return `Module name "${name}" would put its routes under /${name}/, a route prefix that ${user} already uses. Choose another name.`;
  return undefined;
}

/** The first production file whose code names a route under `/<name>` (a string starting with it), if any. */
function routePrefixUser(name: string, root: string): string | undefined {
  const route = new RegExp(`['"\`]/${name}(?=[/'"\`$?])`);
  for (const folder of ['src', 'modules']) {
    for (const file of sourceFiles(path.join(root, folder))) {
      if (route.test(readFileSync(file, 'utf8'))) return path.relative(root, file);
    }
  }
  return undefined;
}

function sourceFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => path.join(folder, file));
}

function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

function names(name: string, owner: string | undefined, description: string | undefined): ModuleNames {
  if (owner !== undefined && !OWNER.test(owner)) {
    throw new Refused(`--owner "${owner}" is not a GitHub user (@name), team (@org/team) or e-mail address, which CODEOWNERS needs.`);
  }
  const camel = camelCase(name);
  const pascal = camel.charAt(0).toUpperCase() + camel.slice(1);
  return {
    name,
    camel,
    pascal,
    owner: owner ?? `@seams/${name}-team`,
    description: (description ?? `${pascal}: the business capability this module owns, in one line (shown in docs/modules.md).`)
  };
}

/** The generator scripts this project has (package.json), in the order they must run. */
function generatorScripts(root: string): string[] {
  const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  return GENERATORS.filter((script) => script in scripts);
}

function nextSteps(module: ModuleNames, files: readonly string[], root: string, ownerGiven: boolean): string {
  const generators = generatorScripts(root);
  const steps = [
    `Add it to src/modules.ts:\n       import { ${module.camel}Module } from '../modules/${module.name}/index.ts';\n     and add it to moduleByName: '${module.name}': ${module.camel}Module,`,
    ...(generators.length > 0 ? [`Regenerate what comes from the manifests:\n${generators.map((script) => `       npm run ${script}`).join('\n')}`] : []),
    `Check and test it:\n       npm run check\n       npm test -- modules/${module.name}`,
  ];
  return [
    `Created module "${module.name}":`,
    ...files.map((file) => `  ${file}`),
    '',
    'Next:',
    ...steps.map((step, i) => `  ${i + 1}. ${step}`),
    '',
    `Then replace the example (the examples table, its routes and the getExamples method) with the module's first real concept` +
      (ownerGiven ? '.' : `, and put its real owners in modules/${module.name}/index.ts (now ${module.owner}).`),
    '',
  ].join('\n');
}

function main(): void {
  const { name, owner, description, root } = parseCommandLine();
  const problem = refusal(name, root);
  if (problem) throw new Refused(problem);
  const module = names(name, owner, description);
  const files = moduleFiles(module);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content, { flag: 'wx' });
  }
  process.stdout.write(nextSteps(module, Object.keys(files), root, owner !== undefined));
}

try {
  main();
} catch (error) {
  if (!(error instanceof Refused)) throw error;
  process.stderr.write(`new:module: ${error.message}\n`);
  process.exitCode = 1;
}
