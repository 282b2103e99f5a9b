// The shapes of the console API's answers (src/platform/console/), as the page uses them.

export type Placement = { kind: 'here' } | { kind: 'remote'; url: string } | { kind: 'elsewhere' };

export interface ModuleView {
  name: string;
  description: string;
  owners: string[];
  placement: Placement;
  dependsOn: Array<{ module: string; reason: string; callsApi: boolean; events: string[] }>;
  publishes: Array<{ event: string; version: number; description: string }>;
  methods: string[];
}

export interface EventFlow {
  producer: string;
  subscriber: string;
  event: string;
  version: number;
  subscription: string;
}

export interface SystemView {
  service: string;
  local: string[];
  traces: { capacity: number; url: string | null };
  modules: ModuleView[];
  flows: EventFlow[];
}

export interface ModuleDetails {
  module: ModuleView;
  methods: Array<{ name: string; description: string; idempotent: boolean; input: unknown; output: unknown }>;
  routes: Array<{ method: string; url: string; summary?: string; operation?: Record<string, unknown> }>;
  publishes: Array<{ event: string; version: number; description: string; schema: unknown; earlier: Array<{ version: number; schema: unknown }>; consumers: Array<{ module: string; version: number; subscription: string }> }>;
  consumes: Array<{ event: string; version: number; producer: string; subscription: string; partitions: number; description: string; schema: unknown }>;
  tables: Array<{ name: string; platform: boolean; columns: Array<{ name: string; type: string; nullable: boolean; default: string | null }> }> | null;
  dependants: Array<{ module: string; reason: string; owners: string[] }>;
}

export interface SubscriptionStatus {
  module: string;
  subscription: string;
  event: string;
  version: number;
  partitions: number;
  pending: number;
  oldestUnhandledAgeMs: number;
  handledLastMinute: number;
  retrying: number;
  waiting: number;
  dead: number;
}

export interface DeadLetter {
  id: string;
  module: string;
  subscription: string;
  eventId: string;
  event: string;
  version: number;
  key: string | null;
  payload: unknown;
  attempts: number;
  lastError: string | null;
  occurredAt: string;
  parkedAt: string;
  lastFailedAt: string;
  waitingBehind: number;
}

export interface DiscardedLetter {
  id: string;
  module: string;
  subscription: string;
  event: string;
  version: number;
  lastError: string | null;
  discardedAt: string;
  discardedBy: string;
  reason: string;
}

export interface TraceEntry {
  traceId: string;
  name: string;
  route?: string;
  method?: string;
  statusCode?: number;
  error: boolean;
  startMs: number;
  durationMs: number;
  spanCount: number;
  modules: string[];
}

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: string;
  startMs: number;
  durationMs: number;
  status: string;
  statusMessage?: string;
  attributes: Record<string, unknown>;
  service: string;
  module?: string;
  events: Array<{ name: string; timeMs: number; attributes: Record<string, unknown> }>;
}
