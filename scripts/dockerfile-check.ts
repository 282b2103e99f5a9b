import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** One thing wrong, in the shape validate-deploy reports (its DeployProblem). */
interface DeployProblem {
  readonly file: string;
  readonly line?: number;
  readonly where: string;
  readonly message: string;
}

/**
 * What can be checked of the Dockerfile without Docker (this machine cannot build images): that it builds the single
 * binary with the Node major CI uses (.nvmrc), copies what the build context holds (.dockerignore) and the binary
 * from where the build writes it, and that the image it ends with runs as a non-root user with a HEALTHCHECK, whose
 * uid the Kubernetes manifests run as.
 */
export async function checkDockerfile(root: string, manifests: ReadonlyArray<{ file: string; text: string }>): Promise<DeployProblem[]> {
  const file = 'Dockerfile';
  const text = await readFile(path.join(root, file), 'utf8');
  const problems: DeployProblem[] = [];
  const problem = (line: number | undefined, where: string, message: string) => problems.push({ file, ...(line === undefined ? {} : { line }), where, message });
  const instructions = parseInstructions(text);
  const args = new Map(instructions.filter((i) => i.keyword === 'ARG').map((i) => i.value.split('=') as [string, string]));
  const stages = instructions.filter((i) => i.keyword === 'FROM');
  if (stages.length < 2) problem(undefined, 'FROM', 'expected a build stage and a runtime stage');
  const last = stages.at(-1);
  const final = instructions.filter((i) => last && i.line > last.line);

  const nodeImage = stages[0] && expand(stages[0].value.split(/\s+/)[0]!, args);
  const nvmrc = (await readFile(path.join(root, '.nvmrc'), 'utf8')).trim();
  if (!nodeImage || !new RegExp(`^node:${nvmrc}[-.]`).test(nodeImage)) problem(stages[0]?.line, 'FROM (build stage)', `builds with ${nodeImage}, not Node ${nvmrc} (.nvmrc): the binary carries the Node it is built with`);
  if (!instructions.some((i) => i.keyword === 'RUN' && i.value.includes('scripts/build-binary.ts'))) problem(undefined, 'RUN', 'no step runs scripts/build-binary.ts');

  const allowed = (await readFile(path.join(root, '.dockerignore'), 'utf8')).split('\n').filter((line) => line.startsWith('!')).map((line) => line.slice(1).trim());
  for (const copy of instructions.filter((i) => i.keyword === 'COPY' && !i.value.startsWith('--from'))) {
    for (const source of copy.value.split(/\s+/).slice(0, -1)) {
      if (!allowed.includes(source)) problem(copy.line, `COPY ${source}`, 'is not in the build context (.dockerignore lets in only the paths after "!")');
      else if (!(await stat(path.join(root, source)).then(() => true, () => false))) problem(copy.line, `COPY ${source}`, 'does not exist in the repository');
    }
  }
  const fromBuild = final.find((i) => i.keyword === 'COPY' && i.value.startsWith('--from='));
  if (!fromBuild || !/\/dist\/seams-linux-x64\s/.test(`${fromBuild.value.split(/\s+/)[1]} `)) problem(fromBuild?.line, 'COPY --from', 'the runtime stage must copy dist/seams-linux-x64, where scripts/build-binary.ts writes it');

  const user = final.find((i) => i.keyword === 'USER');
  if (!user || user.value === 'root' || user.value === '0') problem(user?.line, 'USER', 'the image must run as a non-root user');
  if (!final.some((i) => i.keyword === 'HEALTHCHECK' && !/NONE/.test(i.value))) problem(undefined, 'HEALTHCHECK', 'the runtime stage has no HEALTHCHECK');
  const uid = /--uid\s+(\d+)/.exec(final.find((i) => i.keyword === 'RUN' && /useradd/.test(i.value))?.value ?? '')?.[1];
  if (!uid) problem(undefined, 'RUN useradd', 'the runtime stage creates no user with a fixed --uid');
  for (const manifest of manifests) {
    for (const match of manifest.text.matchAll(/runAsUser:\s*(\d+)/g)) {
      if (match[1] !== uid) problems.push({ file: manifest.file, where: 'runAsUser', message: `is ${match[1]}, but the image's user has uid ${uid} (Dockerfile)` });
    }
  }
  return problems;
}

interface Instruction {
  readonly keyword: string;
  readonly value: string;
  readonly line: number;
}

/** Instructions with their continuation lines joined; comments and blank lines dropped. */
function parseInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const start = index;
    let line = lines[index]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    while (line.endsWith('\\') && index + 1 < lines.length) line = `${line.slice(0, -1).trim()} ${lines[++index]!.trim()}`;
    const [keyword = '', ...rest] = line.split(/\s+/);
    instructions.push({ keyword: keyword.toUpperCase(), value: rest.join(' '), line: start + 1 });
  }
  return instructions;
}

function expand(value: string, args: ReadonlyMap<string, string>): string {
  return value.replace(/\$\{(\w+)\}/g, (_, name: string) => args.get(name) ?? '');
}
