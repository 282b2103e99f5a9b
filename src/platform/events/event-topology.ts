import { ConfigError } from '../config.ts';
import type { AnyModule } from '../modules/define-module.ts';
import { producerOf } from './event-definition.ts';
import { eventVersions } from './event-versions.ts';

/**
 * Whether a subscriber reads its producer's outbox directly (today's in-process path): true when both run here and
 * their schemas live in the same database. Anything else crosses processes, over NATS.
 */
export type SharesLog = (producer: string, subscriber: string) => boolean;

/** An event type, as `<name>@<version>` (how the outbox and the workers match events). */
export type EventKey = `${string}@${number}`;

export interface RelayPlan {
  /** A local module whose outbox some subscriber elsewhere needs. */
  readonly producer: string;
  /**
   * The events of it that cross, in every version its contract declares (an outbox may still hold older ones, and the
   * subscriber converts what it receives); the relay passes over the others.
   */
  readonly events: readonly EventKey[];
}

export interface ReceiverPlan {
  /** The local subscribing module. */
  readonly module: string;
  readonly subscription: string;
  readonly producer: string;
  readonly event: string;
  readonly version: number;
}

/** Which events leave this process and which arrive in it. Empty lists: no NATS at all. */
export interface EventTopology {
  readonly relays: readonly RelayPlan[];
  readonly receivers: readonly ReceiverPlan[];
  /** True when the local subscription reads what a receiver writes (its own `seams_received`), not an outbox. */
  readonly receives: (module: string, subscription: string) => boolean;
}

export interface EventTopologyOptions {
  /** Every module of the system, local or not: a subscriber elsewhere needs our relay even if we never call it. */
  readonly modules: readonly AnyModule[];
  /** The modules this process runs. */
  readonly local: readonly string[];
  /** Defaults to "both run here" (one database per process); extend it when a module has a database of its own. */
  readonly sharesLog?: SharesLog;
  /** NATS_URL; required as soon as one event crosses. */
  readonly natsUrl: string | undefined;
}

/**
 * Plans the event transport from the module list alone: a relay for each local producer with a subscriber that does not
 * share its log, a receiver for each local subscription whose producer does not share the subscriber's log. Throws,
 * naming the crossing events, when there are some and NATS_URL is not set.
 */
export function planEventTopology(options: EventTopologyOptions): EventTopology {
  const local = new Set(options.local);
  const sharesLog = options.sharesLog ?? ((producer, subscriber) => local.has(producer) && local.has(subscriber));
  const relayed = new Map<string, Set<EventKey>>();
  const receivers: ReceiverPlan[] = [];
  const crossing: string[] = [];
  const versions = eventVersions(options.modules);
  for (const module of options.modules) {
    for (const subscription of module.subscriptions ?? []) {
      const producer = producerOf(subscription.event);
      if (sharesLog(producer, module.name)) continue;
      const key: EventKey = `${subscription.event.name}@${subscription.event.version}`;
      if (local.has(producer)) {
        const keys = relayed.get(producer) ?? new Set<EventKey>();
        for (const version of versions.get(subscription.event.name)?.keys() ?? []) keys.add(`${subscription.event.name}@${version}`);
        relayed.set(producer, keys.add(key));
        crossing.push(`${key} from "${producer}" (here) to "${module.name}"`);
      }
      if (local.has(module.name)) {
        receivers.push({ module: module.name, subscription: subscription.name, producer, event: subscription.event.name, version: subscription.event.version });
        crossing.push(`${key} from "${producer}" to "${module.name}" (here)`);
      }
    }
  }
  if (crossing.length > 0 && !options.natsUrl) {
    throw new ConfigError([
      `NATS_URL is not set, but events cross processes: ${crossing.join('; ')}. Set NATS_URL to a NATS JetStream server (e.g. nats://127.0.0.1:4222), or run producer and subscriber in the same process (MODULES)`,
    ]);
  }
  const receiving = new Set(receivers.map((receiver) => `${receiver.module}\u0000${receiver.subscription}`));
  return {
    relays: [...relayed].map(([producer, events]) => ({ producer, events: [...events] })),
    receivers,
    receives: (module, subscription) => receiving.has(`${module}\u0000${subscription}`),
  };
}
