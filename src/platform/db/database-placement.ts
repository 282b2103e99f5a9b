import type { AnyModule } from '../modules/define-module.ts';

/**
 * Where each local module's data lives: its own database when DATABASE_URL_<MODULE> names one, otherwise the
 * process's default. Modules that share a database share one provisioning pass, one platform connection, and read
 * each other's outboxes directly; a subscriber in another database gets its events over NATS instead.
 */
export interface DatabasePlacement {
  /** The connection string of a local module's database. */
  urlOf(module: string): string;
  /** Local modules by database, in module-list order. */
  readonly groups: ReadonlyMap<string, readonly AnyModule[]>;
  /** Whether two modules' schemas are in the same database. */
  sameDatabase(a: string, b: string): boolean;
}

export function placeModules(local: readonly AnyModule[], defaultUrl: string, ownUrls: Readonly<Record<string, string>>): DatabasePlacement {
  const urlOf = (module: string) => ownUrls[module] ?? defaultUrl;
  const groups = new Map<string, AnyModule[]>();
  for (const module of local) {
    const url = urlOf(module.name);
    groups.set(url, [...(groups.get(url) ?? []), module]);
  }
  return { urlOf, groups, sameDatabase: (a, b) => urlOf(a) === urlOf(b) };
}
