import type { TSchema } from 'typebox';
import type { ContractMethod } from '../modules/contract.ts';
import type { AnyModule } from '../modules/define-module.ts';
import { producerOf } from '../events/event-definition.ts';
import { publishedEvents, publishedVersions, type ModuleView } from './system-view.ts';
import type { TableView } from '../db/schema-tables.ts';

/** One operation of the OpenAPI document, as @fastify/swagger wrote it. */
type Operation = Record<string, unknown>;
export interface OpenApiDocument {
  readonly paths?: Record<string, Record<string, Operation>>;
}

export interface ModuleDetails {
  readonly module: ModuleView;
  readonly methods: ReadonlyArray<{ name: string; description: string; idempotent: boolean; input: TSchema; output: TSchema }>;
  readonly routes: ReadonlyArray<{ method: string; url: string; summary: string | undefined; operation: Operation | undefined }>;
  readonly publishes: ReadonlyArray<{
    event: string;
    version: number;
    description: string;
    schema: TSchema;
    earlier: ReadonlyArray<{ version: number; schema: TSchema }>;
    consumers: ReadonlyArray<{ module: string; version: number; subscription: string }>;
  }>;
  readonly consumes: ReadonlyArray<{ event: string; version: number; producer: string; subscription: string; partitions: number; description: string; schema: TSchema }>;
  /** Null when the module runs in another process, whose database this one does not read. */
  readonly tables: readonly TableView[] | null;
  readonly dependants: ReadonlyArray<{ module: string; reason: string; owners: readonly string[] }>;
}

/** Everything the console's module page shows, from the manifest, the OpenAPI document and the module's schema. */
export function moduleDetails(
  module: AnyModule,
  facts: { view: ModuleView; all: readonly AnyModule[]; routes: ReadonlyArray<{ method: string; url: string }>; openapi: OpenApiDocument; tables: readonly TableView[] | null },
): ModuleDetails {
  const methods = Object.entries((module.contract?.methods ?? {}) as Record<string, ContractMethod>).map(([name, method]) => ({
    name,
    description: method.description,
    idempotent: method.idempotent,
    input: method.input,
    output: method.output,
  }));
  const routes = facts.routes.map(({ method, url }) => {
    const operation = facts.openapi.paths?.[openApiPath(url)]?.[method.toLowerCase()];
    const summary = operation?.summary ?? operation?.description;
    return { method, url, summary: typeof summary === 'string' ? summary : undefined, operation };
  });
  const publishes = publishedEvents(module).map((event) => ({
    event: event.name,
    version: event.version,
    description: event.description,
    schema: event.schema,
    earlier: publishedVersions(event).slice(0, -1).map((earlier) => ({ version: earlier.version, schema: earlier.schema })),
    consumers: facts.all.flatMap((other) =>
      (other.subscriptions ?? [])
        .filter((subscription) => subscription.event.name === event.name)
        .map((subscription) => ({ module: other.name, version: subscription.event.version, subscription: subscription.name })),
    ),
  }));
  const consumes = (module.subscriptions ?? []).map((subscription) => ({
    event: subscription.event.name,
    version: subscription.event.version,
    producer: producerOf(subscription.event),
    subscription: subscription.name,
    partitions: subscription.partitions,
    description: subscription.event.description,
    schema: subscription.event.schema,
  }));
  const dependants = facts.all
    .filter((other) => module.name in other.dependsOn)
    .map((other) => ({ module: other.name, reason: other.dependsOn[module.name]!, owners: other.owners }));
  return { module: facts.view, methods, routes, publishes, consumes, tables: facts.tables, dependants };
}

/** `/orders/:id` as OpenAPI writes it: `/orders/{id}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}
