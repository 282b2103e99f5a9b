// The boundary rules of Seams, checked by `npm run check:boundaries` (scripts/check-boundaries.ts).
// docs/boundaries.md explains each rule and how to read a violation.
//
// Paths in rules are regular expressions on paths relative to the repository root, with forward slashes.
// This file is ESM (package.json has "type": "module"); dependency-cruiser reads its default export.
//
// The rules between modules are generated from the module manifests (modules/<name>/index.ts), read statically by
// scripts/boundaries-manifests.ts (see there why they are parsed rather than imported). Node >= 22.18 loads that .ts
// file by stripping its types, so `npx depcruise` gets the same rules as `npm run check:boundaries`.

import { fileURLToPath } from 'node:url';
import { readManifests } from './scripts/boundaries-manifests.ts';

/** @import { IConfiguration, IForbiddenRuleType } from 'dependency-cruiser' */
/** @import { ManifestFacts } from './scripts/boundaries-manifests.ts' */

/**
 * Test code: the test/ folder, every `*.test.ts` beside the code, and the test harness module authors import
 * (`#testing`: src/testing.ts and src/platform/testing/), which production code must never reach.
 */
const TEST_CODE = ['^test/', '\\.test\\.ts$', '^src/testing\\.ts$', '^src/platform/testing/'];

/** Where the process starts: everything in production must be reachable from one of these (see `no-orphans`). */
const ENTRY_POINTS = ['^src/main\\.ts$', '^src/telemetry\\.ts$', '^src/binary\\.ts$', '^src/bundle\\.ts$', '^scripts/'];

/**
 * npm packages that tie code to a framework or to the database, as dependency-cruiser resolves them: a path into
 * node_modules (relative, so `../node_modules/` when node_modules is a link to another folder).
 */
const FRAMEWORK_PACKAGES = '(^|/)node_modules/(@types/)?(fastify|@fastify/[^/]+|kysely|pg|pg-[^/]+|awilix|pino|pino-[^/]+|@opentelemetry/[^/]+)/';
const DATABASE_PACKAGES = '(^|/)node_modules/(@types/)?(kysely|pg|pg-[^/]+)/';

/** @param {string} text */
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The rules about how modules reach each other, generated from the manifests: one rule per folder under modules/,
 * allowing its own folder plus the contract.ts of each module it declares in `dependsOn`. Everything else under
 * modules/ (other modules' internals, undeclared modules' contracts) is forbidden. Manifests are left to their own
 * rule, so an import of another module's index.ts is reported once.
 *
 * @param {readonly ManifestFacts[]} manifests
 * @returns {IForbiddenRuleType[]}
 */
export function moduleBoundaryRules(manifests) {
  const perModule = manifests.map(({ name, manifest, dependsOn }) => {
    const declared = Object.keys(dependsOn).sort();
    const manifestFile = manifest ?? `modules/${name}/index.ts (it has none yet)`;
    return {
      name: `${name}-uses-only-declared-modules`,
      severity: 'error',
      comment:
        `modules/${name}/ may import its own files and, of other modules, only the contract.ts of a module it ` +
        `declares in dependsOn in ${manifestFile} (today: ${declared.length ? declared.join(', ') : 'none'}). ` +
        "Another module's http/, application/, domain/ and infrastructure/ are that module's own: import its " +
        "contract.ts instead and get the implementation injected as <module>Api. To use a module not declared yet, " +
        `add it with a reason (dependsOn: { <module>: '<why>' }), which its owners review; or do without it, for ` +
        'example by reacting to its events.',
      from: { path: `^modules/${escapeRegExp(name)}/` },
      to: {
        path: '^modules/',
        pathNot: [
          `^modules/${escapeRegExp(name)}/`,
          ...declared.map((dependency) => `^modules/${escapeRegExp(dependency)}/contract\\.ts$`),
          '^modules/[^/]+/index\\.ts$',
        ],
      },
    };
  });
  return [
    .../** @type {IForbiddenRuleType[]} */ (perModule),
    {
      name: 'module-manifest-only-in-composition-root',
      severity: 'error',
      comment:
        "modules/<name>/index.ts is a module's manifest and wiring; only src/modules.ts (the list of modules) may " +
        "import it. Other code that needs a module's types or schemas imports its contract.ts; code that needs a " +
        'running module gets it from the app built by src/app.ts (tests: test/support/test-app.ts).',
      from: { pathNot: '^src/modules\\.ts$' },
      to: { path: '^modules/[^/]+/index\\.ts$' },
    },
  ];
}

/**
 * Rules for the layers inside a module: http/ (routes) and events/ (event handlers) -> application/ (use cases) ->
 * domain/ (pure rules), with infrastructure/ (tables, repositories, adapters) injected into application/. Tests beside the code are exempt: they
 * set up rows and wire things by hand.
 *
 * @returns {IForbiddenRuleType[]}
 */
export function layerRules() {
  return [
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment:
        'domain/ holds the business rules in plain TypeScript, and reaches no framework or database package ' +
        '(fastify, kysely, pg, awilix, pino, OpenTelemetry), not even through another file or the platform (`via` ' +
        'shows the path). That keeps the rules testable without a server or database and lets the frameworks change ' +
        'under them. Return values or throw an AppError from #platform/errors.ts; let application/ do the I/O, and ' +
        'infrastructure/ talk to the database.',
      from: { path: '^modules/[^/]+/domain/', pathNot: TEST_CODE },
      to: { path: FRAMEWORK_PACKAGES, reachable: true },
    },
    {
      name: 'domain-imports-no-other-layer',
      severity: 'error',
      comment:
        "domain/ imported its module's http/, events/, application/ or infrastructure/. The domain is the centre the other " +
        'layers depend on, never the other way round. Move what the domain needs into domain/, or have application/ ' +
        'pass it in as a plain value.',
      from: { path: '^modules/([^/]+)/domain/', pathNot: TEST_CODE },
      to: { path: '^modules/$1/(http|events|application|infrastructure)/' },
    },
    {
      name: 'http-not-to-infrastructure',
      severity: 'error',
      comment:
        "http/ imported its module's infrastructure/ (a repository or a table type). Routes call a use case in " +
        'application/ and speak its types; the use case uses the repository. Then the tables can change without ' +
        'touching the API, and the API cannot leak a row by accident. Add or extend a use case in application/.',
      from: { path: '^modules/([^/]+)/http/', pathNot: TEST_CODE },
      to: { path: '^modules/$1/infrastructure/' },
    },
    {
      name: 'database-access-only-in-infrastructure',
      severity: 'error',
      comment:
        "Production code outside a module's infrastructure/ (and the platform's src/platform/db/ and " +
        'src/platform/events/) imported kysely or pg at run time. SQL and connections belong in repositories, so the ' +
        "rest of the code does not depend on how data is stored. Move the query into a repository in the module's " +
        'infrastructure/ and inject it (platform code: into src/platform/db/). `import type` is fine (a use case may take a `Transaction` so that the ' +
        'compiler makes its callers open one). src/platform/events/ is allowed because the outbox and the ' +
        'subscription state are Postgres tables written in the same transaction as the module\'s own.',
      from: {
        path: '^(src|modules)/',
        pathNot: [...TEST_CODE, '^modules/[^/]+/infrastructure/', '^src/platform/db/', '^src/platform/events/'],
      },
      to: { path: DATABASE_PACKAGES, dependencyTypesNot: ['type-only'] },
    },
  ];
}

/**
 * Rules that keep contracts cheap to import.
 *
 * @returns {IForbiddenRuleType[]}
 */
export function contractRules() {
  return [
    {
      name: 'contract-stays-light',
      severity: 'error',
      comment:
        "A contract.ts imported something other than the platform's contract helpers (#platform/modules/contract.ts, " +
        '#platform/events/event-definition.ts) and typebox. Every module that depends on this one imports its ' +
        'contract, so whatever the contract imports, they load and depend on too: its implementation, its tables, ' +
        'a framework. Declare the schemas in the contract itself (TypeBox), and keep types of the implementation in ' +
        'the implementation.',
      from: { path: '^modules/[^/]+/contract\\.ts$' },
      to: {
        pathNot: ['^src/platform/modules/contract\\.ts$', '^src/platform/events/event-definition\\.ts$', '(^|/)node_modules/typebox/'],
      },
    },
  ];
}

/**
 * Rules that keep the platform generic.
 *
 * @returns {IForbiddenRuleType[]}
 */
export function platformRules() {
  return [
    {
      name: 'platform-knows-no-modules',
      severity: 'error',
      comment:
        'src/platform/ is the generic framework and must not know any business module, so it cannot import ' +
        'anything under modules/. Make the platform generic instead (take what it needs as a parameter, a ' +
        'registered dependency or a callback) and let the module, or the composition root src/modules.ts, pass it in.',
      from: { path: '^src/platform/' },
      to: { path: '^modules/' },
    },
    {
      name: 'platform-not-to-composition-root',
      severity: 'error',
      comment:
        'src/platform/ must not import the composition root (src/app.ts, src/main.ts, src/modules.ts): those files ' +
        'import the platform, not the other way round. Pass what the platform needs in as a parameter.',
      from: { path: '^src/platform/' },
      to: { path: '^src/', pathNot: '^src/platform/' },
    },
  ];
}

/**
 * Rules that keep migrations frozen in time.
 *
 * @returns {IForbiddenRuleType[]}
 */
export function migrationRules() {
  return [
    {
      name: 'migrations-import-no-app-code',
      severity: 'error',
      comment:
        'A migration imported app code (src/ or modules/). Migrations are frozen in time: they run in order ' +
        'against every database, years later, after the app code has changed. Use only npm packages (kysely with ' +
        'Kysely<any>, sql``) and copy any constant or type you need into the migration itself.',
      from: { path: '^migrations/' },
      to: { path: '^(src|modules)/' },
    },
  ];
}

/**
 * General hygiene.
 *
 * @returns {IForbiddenRuleType[]}
 */
export function hygieneRules() {
  return [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'These files import each other in a cycle (directly or via other files). Cycles make load order fragile ' +
        '(ESM gives you undefined bindings at start-up) and blur which part depends on which. Move the shared part ' +
        'into a third file both can import, or invert one dependency (pass it in instead of importing it).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'This import cannot be resolved to a file or package, so it will fail at run time (or the check cannot ' +
        'see past it). Check the path and its .ts extension (imports carry .ts specifiers), use #platform/... for ' +
        'the platform, or add the missing package to package.json.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'not-to-test',
      severity: 'error',
      comment:
        'Production code (src/, modules/, migrations/) imported test code (test/ or a *.test.ts file). Tests are ' +
        'not shipped and may change freely. Move what you need into production code, and let the test import it ' +
        'from there.',
      from: { path: '^(src|modules|migrations)/', pathNot: TEST_CODE },
      to: { path: TEST_CODE },
    },
    {
      name: 'not-to-dev-dep',
      severity: 'error',
      comment:
        'Production code imported a package that is only in devDependencies, so it is missing where the app is ' +
        'installed with --omit=dev. Move the package to dependencies if production needs it, or keep the import in ' +
        'test code or scripts/.',
      from: { path: '^(src|modules|migrations)/', pathNot: TEST_CODE },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-non-package-json',
      severity: 'error',
      comment:
        'This imports an npm package that package.json does not list (it only happens to be installed as a ' +
        "dependency of something else), so it can vanish or change version under you. Add it to package.json's " +
        'dependencies (or devDependencies for tests and scripts).',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment:
        'Nothing reaches this production file from where the app starts (src/main.ts, src/telemetry.ts) or from a ' +
        'script in scripts/: it is dead code, or it was meant to be wired in and is not. Import it where it is ' +
        'needed (a module through its index.ts, a module list entry in src/modules.ts), or delete it. Code only ' +
        'tests use belongs in test/. Migrations are exempt: the migrator loads them by folder.',
      from: { path: ENTRY_POINTS },
      to: { path: '^(src|modules)/', pathNot: [...TEST_CODE, ...ENTRY_POINTS, '\\.d\\.ts$'], reachable: false },
    },
  ];
}

const projectRoot = fileURLToPath(new URL('.', import.meta.url));

/** @type {IConfiguration} */
export default {
  forbidden: [
    ...moduleBoundaryRules(readManifests(projectRoot)),
    ...layerRules(),
    ...contractRules(),
    ...platformRules(),
    ...migrationRules(),
    ...hygieneRules(),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Catch `import type` too: a type import of another module's internals couples the two just the same.
    tsPreCompilationDeps: true,
    // Resolve as tsc does (nodenext, .ts specifiers).
    tsConfig: { fileName: 'tsconfig.json' },
    // ESM resolution: package "exports". #platform/* subpath imports resolve through package.json "imports"
    // (enhanced-resolve's default importsFields).
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts', '.json'],
    },
    moduleSystems: ['es6', 'cjs'],
    skipAnalysisNotInRules: false,
  },
};
