// The boundary rules of Seams, checked by `npm run check:boundaries` (scripts/check-boundaries.ts).
// docs/boundaries.md explains each rule and how to read a violation.
//
// Paths in rules are regular expressions on paths relative to the repository root, with forward slashes.
// This file is ESM (package.json has "type": "module"); dependency-cruiser reads its default export.

/** @import { IConfiguration, IForbiddenRuleType } from 'dependency-cruiser' */

/** Test code: the test/ folder and every `*.test.ts` beside the code. */
const TEST_CODE = ['^test/', '\\.test\\.ts$'];

/**
 * The rules about how modules reach each other.
 *
 * Today every module may import every other module's `contract.ts`, so one rule with a back-reference (`$1` is the
 * importing module's own folder) covers them all. When modules must declare their dependencies, this function will
 * take the manifests (`modules/<name>/index.ts`: name + dependsOn) and return one rule per module whose allowed
 * targets are its own folder plus the contracts it declared; the rest of this file stays as it is.
 *
 * @returns {IForbiddenRuleType[]}
 */
export function moduleBoundaryRules() {
  return [
    {
      name: 'module-internals-are-private',
      severity: 'error',
      comment:
        "A module imported another module's private code. Everything in modules/<name>/ except contract.ts " +
        '(http/, application/, domain/, infrastructure/) belongs to that module alone, so that it can change it, or ' +
        "be extracted into its own service, without breaking anyone. Import the other module's contract.ts " +
        "instead (its API interface, DTOs and event schemas) and get the implementation injected; if what you need " +
        'is not in the contract, ask its owners to add it there.',
      from: { path: '^modules/([^/]+)/' },
      to: {
        path: '^modules/',
        pathNot: ['^modules/$1/', '^modules/[^/]+/contract\\.ts$', '^modules/[^/]+/index\\.ts$'],
      },
    },
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
  ];
}

/** @type {IConfiguration} */
export default {
  forbidden: [...moduleBoundaryRules(), ...platformRules(), ...migrationRules(), ...hygieneRules()],
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
