/**
 * The one home and name of event handlers: each subscription of a module is declared in
 * `modules/<module>/events/on-<producer>-<event>.ts` (kebab-case: `on-ordering-order-placed.ts`), which exports it as
 * `on<Producer><Event>` (`onOrderingOrderPlaced = subscribe(OrderPlaced, ...)`), and the manifest lists those exports.
 * Checked on the running manifests, so what is checked is the very subscription the module runs.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { producerOf } from '#platform/events/event-definition.ts';
import type { AnyModule } from '#platform/modules/define-module.ts';

const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_, __, letter: string) => letter.toUpperCase());

/** `ordering.OrderPlaced` -> the file stem `on-ordering-order-placed` and the export `onOrderingOrderPlaced`. */
export function handlerNames(event: string): { file: string; exported: string } {
  const producer = producerOf({ name: event });
  const eventName = event.slice(producer.length + 1);
  return { file: `on-${producer}-${kebab(eventName)}`, exported: `on${pascal(producer)}${eventName}` };
}

/** One sentence per handler that is not where the convention puts it; empty when every one is. */
export async function handlerConventionProblems(root: string, modules: readonly AnyModule[]): Promise<string[]> {
  const problems: string[] = [];
  for (const module of modules) {
    const folder = `modules/${module.name}/events`;
    const files = existsSync(path.join(root, folder)) ? readdirSync(path.join(root, folder)).filter((file) => file.endsWith('.ts')) : [];
    const claimed = new Set<string>();
    for (const subscription of module.subscriptions ?? []) {
      const { file, exported } = handlerNames(subscription.event.name);
      const expected = `${folder}/${file}.ts`;
      const declared = files.includes(`${file}.ts`) ? ((await import(pathToFileURL(path.join(root, expected)).href)) as Record<string, unknown>)[exported] : undefined;
      if (declared === subscription) {
        claimed.add(`${file}.ts`);
        continue;
      }
      problems.push(
        `modules/${module.name}/index.ts: the subscription ${subscription.name} (${subscription.event.name} v${subscription.event.version}) is not the ` +
          `\`${exported}\` that ${expected} exports. Declare it there, as \`export const ${exported} = subscribe(${subscription.event.name.slice(subscription.event.name.indexOf('.') + 1)}, ...)\` ` +
          `with the event's definition from its contract (the version the handler takes), and list \`${exported}\` in the manifest's subscriptions. docs/events.md, "Where handlers live".`,
      );
    }
    for (const file of files) {
      if (claimed.has(file) || file.endsWith('.test.ts')) continue;
      problems.push(
        `${folder}/${file}: events/ holds the module's handlers only, one file per subscription the manifest lists, named on-<producer>-<event>.ts. ` +
          'Move anything else to application/, or list the subscription it declares in the manifest.',
      );
    }
  }
  return problems;
}
