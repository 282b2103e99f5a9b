/**
 * CODEOWNERS, generated from the module manifests (`owners` and `dependsOn` in modules/<name>/index.ts).
 *
 *   node scripts/codeowners.ts --write   (npm run codeowners) writes CODEOWNERS and each module's dependents.md
 *   node scripts/codeowners.ts --check   (part of npm run check) fails when either is not what --write would write
 *
 * Each module's folder and migrations go to its owners. A dependency needs the approval of the owners of the module
 * depended on, and a CODEOWNERS line cannot say that by itself: GitHub asks for one approval per changed file, from
 * any one of the owners on the last line that matches it. Listing catalog's owners next to ordering's on ordering's
 * manifest would let ordering's owners approve a new dependency on catalog alone. So each depended-on module gets a
 * generated `modules/<name>/dependents.md` in its own folder, listing who depends on it and why. Declaring, rewording
 * or dropping a dependency on catalog changes modules/catalog/dependents.md (this check fails until it is
 * regenerated), and that file belongs to catalog's owners, so they must approve the change.
 *
 * Exit codes: 0 up to date (or written); 1 out of date; 2 could not run (an owner GitHub would not accept, bad
 * arguments).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyModule } from '#platform/modules/define-module.ts';
import { modules } from '../src/modules.ts';
import { CannotRun, EXIT_OUT_OF_DATE, parseMode, runGenerator, staleFiles, writeFiles, type GeneratedFile } from './generated-files.ts';
import { moduleFacts, type ModuleFacts } from './module-facts.ts';

const TOOL = 'codeowners';

/** The file in a module's folder that records who depends on it, and so routes those dependencies to its owners. */
export const dependentsFile = (module: string) => `modules/${module}/dependents.md`;

/** What GitHub accepts as an owner: `@user`, `@org/team`, or an e-mail address. */
const OWNER = /^(@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\/[A-Za-z0-9._-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+)$/;

function assertOwners(facts: readonly ModuleFacts[]): void {
  const bad = facts.flatMap((module) => module.owners.filter((owner) => !OWNER.test(owner)).map((owner) => `"${owner}" (module ${module.name})`));
  if (bad.length > 0) {
    throw new CannotRun(
      `GitHub would ignore these owners in CODEOWNERS: ${bad.join(', ')}.\n` +
        "Name each owner in the manifest's `owners` as @user, @org/team or an e-mail address.",
    );
  }
}

function codeowners(facts: readonly ModuleFacts[]): string {
  const lines = [
    '# Generated from the module manifests (owners and dependsOn in modules/*/index.ts) by `npm run codeowners`.',
    '# Do not edit: change the manifests and run `npm run codeowners`. `npm run check` fails while this file is stale.',
    '#',
    "# A module's folder, its migrations and the snapshots of its events' schemas belong to its owners.",
    '# A dependency on a module needs that module\'s owners: GitHub asks for one approval per file, from any one owner on',
    "# the file's last matching line, so a manifest line cannot require two teams. Instead, modules/<name>/dependents.md",
    '# lists who depends on <name> and why, and belongs to <name>\'s owners. Declaring, rewording or dropping a dependency',
    '# changes that file too (`npm run check` fails until it is regenerated), so the depended-on owners must approve it.',
  ];
  for (const module of facts) {
    const owners = module.owners.join(' ');
    lines.push('', `# ${module.name}`, `/modules/${module.name}/ ${owners}`, `/migrations/${module.name}/ ${owners}`);
    // The frozen schemas of its events (npm run events:snapshot): a new version or a recorded change is its owners' call.
    if (module.published.length > 0) lines.push(`/contracts/events/${module.name}.* ${owners}`);
    if (module.dependents.length > 0) {
      lines.push(
        `# dependency blocks that name ${module.name} (in ${module.dependents.map((dependent) => dependent.module).join(', ')}) need the owners of ${module.name}:`,
        `/${dependentsFile(module.name)} ${owners}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

function dependents(module: ModuleFacts): string {
  return [
    `# Who depends on ${module.name}, and why`,
    '',
    '<!-- Generated from the manifests (dependsOn in modules/*/index.ts) by `npm run codeowners`; do not edit. -->',
    '',
    `This file sits in ${module.name}'s folder, so CODEOWNERS gives it to ${module.name}'s owners (${module.owners.join(', ')}).`,
    `A module that declares, rewords or drops a dependency on ${module.name} changes this file too (\`npm run check\` fails`,
    `until \`npm run codeowners\` has rewritten it), so ${module.name}'s owners approve every dependency on their module.`,
    '',
    '| module | its owners | why it depends on ' + module.name + ' |',
    '| --- | --- | --- |',
    ...module.dependents.map((dependent) => `| ${dependent.module} | ${dependent.owners.join(', ')} | ${dependent.reason.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ')} |`),
    '',
  ].join('\n');
}

/**
 * CODEOWNERS, and one dependents.md per module that others depend on. A dependents.md left in the folder of a module
 * nobody depends on any more (or of a module that is gone) is listed with content `null`: it must be removed.
 */
export async function codeownersFiles(modules: readonly AnyModule[], root: string): Promise<GeneratedFile[]> {
  const facts = await moduleFacts(modules, root);
  assertOwners(facts);
  const expected = new Map<string, string | null>([['CODEOWNERS', codeowners(facts)]]);
  for (const module of facts) if (module.dependents.length > 0) expected.set(dependentsFile(module.name), dependents(module));
  const folders = await readdir(path.join(root, 'modules'), { withFileTypes: true });
  for (const folder of folders.filter((entry) => entry.isDirectory())) {
    const file = dependentsFile(folder.name);
    if (!expected.has(file)) expected.set(file, null);
  }
  return [...expected].map(([file, content]) => ({ path: file, content }));
}

async function main(): Promise<number> {
  const mode = parseMode('node scripts/codeowners.ts --write | --check');
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const files = await codeownersFiles(modules, root);

  if (mode === 'write') {
    const changed = await writeFiles(root, files);
    process.stdout.write(`${TOOL}: ${changed.length === 0 ? 'CODEOWNERS and dependents.md files were already up to date' : `wrote ${changed.join(', ')}`}\n`);
    return 0;
  }
  const stale = await staleFiles(root, files);
  if (stale.length > 0) {
    process.stderr.write(
      `${TOOL} FAILED: the ownership files do not match the module manifests (owners and dependsOn in modules/*/index.ts).\n` +
        `${stale.map((problem) => `  ${problem}`).join('\n')}\n` +
        'Run `npm run codeowners` to regenerate them, and commit the result (a dependents.md change needs its module\'s owners to approve).\n',
    );
    return EXIT_OUT_OF_DATE;
  }
  process.stdout.write(`${TOOL}: CODEOWNERS and ${files.filter((file) => file.content !== null).length - 1} dependents.md files match the manifests of ${modules.length} modules\n`);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runGenerator(TOOL, main);
