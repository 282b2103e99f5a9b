import type { AnyModule } from '#platform/modules/define-module.ts';
import { catalogModule } from '../modules/catalog/index.ts';

/** Every module of the system. The only file that imports `modules/<name>/index.ts`. */
export const modules: readonly AnyModule[] = [catalogModule];

export const moduleNames: readonly string[] = modules.map((module) => module.name);
