import type { AnyModule } from '../modules/define-module.ts';
import { producerOf, type EventDefinition } from './event-definition.ts';

/**
 * Versions side by side. A producer publishes the newest version of an event; outboxes, `seams_received` and dead
 * letters may still hold older ones (written before the deploy), and a subscriber may still take an older one. The
 * bus converts a stored payload to the version the subscriber takes when it hands the event over, with the
 * upcasters and downcasters the producer's contract declares (see {@link payloadConverter}).
 */

/** One event's versions by number, oldest first: the newest from its contract, the older ones through `previous`. */
export type EventVersions = ReadonlyMap<number, EventDefinition>;

/** Every version of `event` reachable from it, oldest first. */
export function versionsOf(event: EventDefinition): EventDefinition[] {
  const versions: EventDefinition[] = [];
  for (let at: EventDefinition | undefined = event; at; at = at.previous?.event) versions.unshift(at);
  return versions;
}

/** The versions of every event the modules' contracts declare, by event name. */
export function eventVersions(modules: readonly AnyModule[]): ReadonlyMap<string, EventVersions> {
  const byName = new Map<string, EventVersions>();
  for (const module of modules) {
    for (const event of Object.values((module.contract?.events ?? {}) as Record<string, EventDefinition>)) {
      byName.set(event.name, new Map(versionsOf(event).map((version) => [version.version, version])));
    }
  }
  return byName;
}

/** A stored event that cannot become the handler's version: parked like a handler failure, with this message. */
export class EventVersionError extends Error {
  override name = 'EventVersionError';
}

/**
 * The one point where a stored payload becomes a handler's input: `(stored version, payload) => payload in the
 * version of `target``. Older payloads go up through each version's upcaster, newer ones down through each downcaster,
 * and a converted payload is checked against `target`'s schema (a caster that yields a wrong shape fails here, named,
 * rather than inside the handler). A payload already in `target`'s version is handed over as stored.
 *
 * `versions` are the producer's (from its contract); without them, only what `target` itself reaches (older versions).
 */
export function payloadConverter(target: EventDefinition, versions: EventVersions = new Map(versionsOf(target).map((v) => [v.version, v]))): (stored: number, payload: unknown) => unknown {
  return (stored: number, payload: unknown): unknown => {
    if (stored === target.version) return payload;
    let converted = payload;
    if (stored < target.version) {
      for (let version = stored + 1; version <= target.version; version++) {
        const step = versions.get(version)?.previous;
        if (!step) throw new EventVersionError(`${target.name} v${stored} cannot become v${target.version}: ${describeMissing(versions, target.name, version)} no upcast from v${version - 1}`);
        converted = step.upcast(converted);
      }
    } else {
      for (let version = stored; version > target.version; version--) {
        const step = versions.get(version)?.previous;
        if (!step?.downcast) {
          throw new EventVersionError(`${target.name} v${stored} cannot become v${target.version}: ${describeMissing(versions, target.name, version)} no downcast to v${version - 1}`);
        }
        converted = step.downcast(converted);
      }
    }
    target.assertValid(converted);
    return converted;
  };
}

function describeMissing(versions: EventVersions, name: string, version: number): string {
  return versions.has(version) ? `${name} v${version} declares` : `${name} v${version} is not declared, so there is`;
}

/**
 * What keeps a subscription from getting its version of every event its producer publishes: it takes a version the
 * producer's contract does not declare (or a definition other than the contract's), or one older than the newest
 * with a downcaster missing on the way down. One sentence per problem, naming the subscriber; empty when all is well.
 * Checked at start-up and by `npm run check` (scripts/check-events.ts).
 */
export function subscriptionVersionProblems(modules: readonly AnyModule[]): string[] {
  const all = eventVersions(modules);
  const problems: string[] = [];
  for (const module of modules) {
    for (const subscription of module.subscriptions ?? []) {
      const { event } = subscription;
      const producer = producerOf(event);
      const versions = all.get(event.name);
      const where = `Module "${module.name}" (subscription ${subscription.name}) takes ${event.name} v${event.version}`;
      if (!versions) {
        // A module's own private events (a deadline it set itself with clock.at) need not be in its contract.
        if (producer !== module.name && modules.some((other) => other.name === producer)) problems.push(`${where}, which the contract of "${producer}" does not declare.`);
        continue;
      }
      const newest = Math.max(...versions.keys());
      if (versions.get(event.version) !== event) {
        problems.push(
          versions.has(event.version)
            ? `${where} from a definition that is not the one in the contract of "${producer}": import it from modules/${producer}/contract.ts.`
            : `${where}, which the contract of "${producer}" does not declare (it declares ${[...versions.keys()].map((v) => `v${v}`).join(', ')}).`,
        );
        continue;
      }
      for (let version = newest; version > event.version; version--) {
        if (versions.get(version)?.previous?.downcast) continue;
        problems.push(
          `${where}, but "${producer}" publishes v${newest} and ${event.name} v${version} declares no downcast to v${version - 1}. ` +
            `Keep the downcast in modules/${producer}/contract.ts while a subscriber takes v${version - 1}, or move the subscriber to v${newest}.`,
        );
        break;
      }
    }
  }
  return problems;
}
