import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import type { Clock, ModuleClock } from '../clock.ts';
import type { MigrationSource } from '../db/migrate.ts';
import type { EventDefinition, EventPayload } from '../events/event-definition.ts';
import type { Publisher } from '../events/publisher.ts';
import type { EventHandler } from '../events/subscription.ts';
import type { ModuleRouter } from '../http/module-router.ts';
import type { Contract, ContractApi } from '../modules/contract.ts';
import type { AnyModule, ModuleDefinition } from '../modules/define-module.ts';
import { moduleSlice, type Dependencies } from './module-slice.ts';
import { Scenario, type ScenarioApp, type Stimulus } from './scenario.ts';
import type { StubApi } from './stubs.ts';
import { createTestClock, type TestClock } from './test-clock.ts';
import { databaseFromTemplate, freshDatabase, type TemplateDatabase } from './test-database.ts';

/** How the composition root builds an app for the harness (src/testing.ts binds it to buildApp). */
export type BuildTestApp<X = Record<string, never>> = (options: {
  /** What the system's own build takes beyond these (src/testing.ts: a log line listener, the console's parts …). */
  readonly extras: Partial<X>;
  readonly modules: readonly AnyModule[];
  readonly env: Readonly<Record<string, string>>;
  readonly databaseUrl: string;
  readonly clock: Clock;
  /** Undefined: the project's migrations, for every module. */
  readonly migrations: ((fromFolder: (root?: string) => MigrationSource) => MigrationSource) | undefined;
}) => Promise<{ app: ModuleRouter; parts: HarnessParts }>;

/** What the harness reaches in a built app (src/app.ts's AppParts). */
export interface HarnessParts extends ScenarioApp {
  readonly handlerOf: (module: string, subscription: string) => EventHandler;
}

/** A module's registrations, by name, as their factories build them. */
export type Registrations<D> = D extends ModuleDefinition<Contract, infer R, Readonly<Record<string, string>>>
  ? { readonly [K in keyof R]: R[K] extends (deps: never) => infer T ? T : never }
  : never;
type ContractOf<D> = D extends ModuleDefinition<infer C, never, never> ? C : D extends { contract?: infer C } ? (C extends Contract ? C : Contract) : Contract;
type DependencyNames<D> = D extends { dependsOn: infer P } ? keyof P & string : never;

/** Typed access to one running module: what its own factories are given and build. No string-keyed resolve. */
export interface ModuleHandle<D> {
  readonly name: string;
  /** Its contract's implementation, as other modules get it. */
  readonly api: ContractApi<ContractOf<D>>;
  /** Its own registrations (`ordersRepository`, `placeOrder` …), typed from the manifest. */
  readonly deps: Registrations<D>;
  /** Its Kysely, under its role; type it with its tables: `db<OrderingTables>()`. */
  db<Tables = unknown>(): Kysely<Tables>;
  readonly events: Publisher;
  readonly clock: ModuleClock;
  readonly logger: Logger;
  /**
   * The handler of its subscription to `event` (named after the event unless `subscription` says otherwise), to call
   * directly with a delivered event and a transaction, as the bus would.
   */
  handler<E extends EventDefinition>(event: E, subscription?: string): EventHandler<EventPayload<E>>;
}

export interface AppHandle<M extends Record<string, AnyModule>> {
  /** The app (`inject()` for HTTP); built and ready before the first test of the file. */
  readonly app: ModuleRouter;
  /** The clock every module here reads; `clock.advance('16m')`. */
  readonly clock: TestClock;
  readonly scenario: Scenario;
  readonly databaseUrl: string;
  /** Its base URL (`http://127.0.0.1:PORT`), with `listen: true`; without, reading it throws. */
  readonly url: string;
  /** Names of the modules that run in this app. */
  readonly running: readonly string[];
  module<N extends keyof M & string>(name: N): ModuleHandle<M[N]>;
  /** A module of another list than the system's (`useApp({ modules })`), untyped. */
  module(name: string): ModuleHandle<AnyModule>;
  /** Shortcut for `scenario.publish`: an event as its producer (running here, or a stub) would publish it. */
  publish<E extends EventDefinition>(event: E, payload: EventPayload<E>): Stimulus;
  /** Closes the app and builds it again on the same database, as a new deploy or a crashed process would start. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export type ModuleBoot<M extends Record<string, AnyModule>, N extends keyof M & string> = AppHandle<M> &
  ModuleHandle<M[N]> & {
    /** The stand-ins of the modules it calls (dependencies: 'stubbed'), scripted per method. */
    readonly stubs: { readonly [K in DependencyNames<M[N]> & keyof M]: StubApi<ContractOf<M[K]>> };
  };

/**
 * Registrations to swap, by module and name: the factory of a test double (`paymentProvider: () => failingProvider`),
 * given the module's view like the factory it replaces.
 */
export type Overrides<M extends Record<string, AnyModule>> = {
  readonly [N in keyof M]?: { readonly [K in keyof Registrations<M[N]>]?: (deps: never) => Registrations<M[N]>[K] };
};

/** A handle that is also the app it holds: what the handle does not have, the Fastify instance answers. */
export type TestApp<H> = H & Omit<ModuleRouter, keyof H | 'then'>;

export interface AppOptions<M extends Record<string, AnyModule> = Record<string, AnyModule>, X = Record<string, never>> {
  /** Options of the system's own build (see its `BuildTestApp`), e.g. to watch the log lines. */
  readonly extras?: Partial<X>;
  /** Settings as `npm start` reads them (`ORDER_PENDING_TIMEOUT_MS`, `MODULES` …). */
  readonly env?: Readonly<Record<string, string>>;
  /** Another module list than the system's, e.g. probe modules for event-bus tests. */
  readonly modules?: readonly AnyModule[];
  /** Where their migrations are (with `modules`). */
  readonly migrationsDir?: string;
  /** Migrations given in code, for modules a test defines; a module they know nothing of migrates from the folder. */
  readonly migrations?: MigrationSource;
  /** Build on this database instead of a fresh one (it is neither created nor dropped), e.g. a second instance's. */
  readonly databaseUrl?: string;
  /** Registrations replaced by test doubles; the module's manifest is otherwise as it is. */
  readonly overrides?: Overrides<M>;
  /** Listen on a free port of 127.0.0.1 (`url`), for another app or process that calls this one over HTTP. */
  readonly listen?: boolean;
}

/** Options, or a function that computes them when the app is built: from what an earlier hook made (another app's `url`). */
export type OptionsOrLater<O> = O | (() => O | Promise<O>);

export interface ModuleOptions<M extends Record<string, AnyModule> = Record<string, AnyModule>> extends Pick<AppOptions<M>, 'env' | 'overrides'> {
  /** `stubbed`: the modules it calls are stubs of their contracts. `real`: they run, with theirs, transitively. */
  readonly dependencies: Dependencies;
}

/**
 * The test harness of a system of modules. `useApp()` and `useModule()` own a test file's lifecycle: a fresh
 * database, the app (or the slice of it) built and ready before the first test, closed and the database dropped
 * after the last. `startApp()` is the same without the hooks, for a test that builds an app in the middle.
 */
export function createHarness<M extends Record<string, AnyModule>, X = Record<string, never>>(system: { readonly modules: M; readonly build: BuildTestApp<X> }) {
  const all = Object.values(system.modules);

  /**
   * The run's migrated template (global setup's `testTemplate`), when this app's database would come out the same: every
   * module of the system, the project's migrations, one database. Any other app migrates a database of its own.
   */
  function templateFor(options: AppOptions<M, X> & { slice?: unknown }): TemplateDatabase | undefined {
    const template = inject('testTemplate');
    if (!template || options.slice || options.modules || options.migrationsDir || options.migrations) return undefined;
    if (Object.keys(options.env ?? {}).some((key) => key === 'MODULES' || key === 'REMOTE_MODULES' || key.startsWith('DATABASE_URL'))) return undefined;
    const names = all.map((module) => module.name);
    return names.length === template.modules.length && names.every((name) => template.modules.includes(name)) ? template : undefined;
  }

  async function start(options: AppOptions<M, X> & { slice?: ReturnType<typeof moduleSlice> } = {}): Promise<AppHandle<M> & { stubs: unknown }> {
    const template = templateFor(options);
    const database = options.databaseUrl
      ? { url: options.databaseUrl, drop: async () => undefined }
      : template
        ? await databaseFromTemplate(inject('serverUrl'), template)
        : await freshDatabase(inject('serverUrl'));
    const clock = createTestClock();
    const modules = withOverrides(options.slice?.modules ?? options.modules ?? all, (options.overrides ?? {}) as Record<string, Record<string, unknown>>);
    const stubbed = options.slice?.stubbed ?? new Set<string>();
    const boot = async (): Promise<Awaited<ReturnType<BuildTestApp<X>>>> => {
      let built: Awaited<ReturnType<BuildTestApp<X>>> | undefined;
      try {
        built = await system.build({
          extras: options.extras ?? {},
          modules,
          env: options.env ?? {},
          databaseUrl: database.url,
          clock,
          migrations:
            options.migrationsDir || options.migrations || stubbed.size > 0
              ? (fromFolder) => {
                  const source = fromFolder(options.migrationsDir);
                  const given = options.migrations;
                  return async (module) => (stubbed.has(module) ? undefined : ((given ? await given(module) : undefined) ?? source(module)));
                }
              : undefined,
        });
        await built.app.ready();
        if (options.listen) await built.app.listen({ host: '127.0.0.1', port: 0 });
        return built;
      } catch (error) {
        await built?.app.close().catch(() => undefined);
        throw error;
      }
    };
    let built: Awaited<ReturnType<BuildTestApp<X>>>;
    try {
      built = await boot();
    } catch (error) {
      await database.drop();
      throw error;
    }
    const urlOf = () => {
      const address = built.app.server.address();
      return options.listen && address && typeof address === 'object' ? `http://127.0.0.1:${address.port}` : undefined;
    };
    const scenario = new Scenario(() => built.parts);
    const handles = new Map<string, ModuleHandle<unknown>>();
    const handle: AppHandle<M> & { stubs: unknown } = {
      get app() {
        return built.app;
      },
      clock,
      scenario,
      databaseUrl: database.url,
      get url() {
        const url = urlOf();
        if (!url) throw new Error('This app does not listen: build it with { listen: true }');
        return url;
      },
      get running() {
        return built.parts.local.map((module) => module.name);
      },
      stubs: options.slice?.stubs ?? {},
      module(name: string) {
        let existing = handles.get(name);
        if (!existing) handles.set(name, (existing = moduleHandle(name, built.parts)));
        return existing as never;
      },
      publish: (event, payload) => scenario.publish(event, payload),
      async restart() {
        await built.app.close();
        handles.clear();
        built = await boot();
      },
      async close() {
        await built.app.close();
        await database.drop();
      },
    };
    return handle;
  }

  /**
   * An app of every module (or of `options.modules`) for the tests of this file. The handle is also the app:
   * `app.inject(…)`, `app.jwt` reach the built Fastify instance.
   */
  function useApp(options: OptionsOrLater<AppOptions<M, X>> = {}): TestApp<AppHandle<M>> {
    return hooked(async () => start(typeof options === 'function' ? await options() : options)) as unknown as TestApp<AppHandle<M>>;
  }

  /** One module, with its dependencies stubbed or real, on a database that holds only the schemas of what runs. */
  function useModule<N extends keyof M & string>(name: N, options: ModuleOptions<M>): TestApp<ModuleBoot<M, N>> {
    const slice = moduleSlice(all, name, options.dependencies);
    return hooked(() => start({ ...options, slice }), name) as unknown as TestApp<ModuleBoot<M, N>>;
  }

  /** An app built now, for a test that needs one of its own; close it at the end of the test. Also the app it holds. */
  async function startApp(options: AppOptions<M, X> = {}): Promise<TestApp<AppHandle<M>>> {
    const handle = await start(options);
    return new Proxy(handle, { get: (target, property) => propertyOf(target, property) }) as unknown as TestApp<AppHandle<M>>;
  }

  return { useApp, useModule, startApp };
}

/**
 * A handle that exists at once (tests declare it at the top of the file) and works once beforeAll has built the app.
 * With `moduleName`, the handle also speaks for that module (`deps`, `api`, `db()` …).
 */
function hooked<H extends object>(start: () => Promise<H & { app: object; close(): Promise<void>; module(name: string): unknown }>, moduleName?: string): H {
  let current: (H & { app: object; close(): Promise<void>; module(name: string): unknown }) | undefined;
  beforeAll(async () => {
    current = await start();
  });
  beforeEach(async () => {
    await (current as unknown as { scenario?: Scenario } | undefined)?.scenario?.mark();
  });
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  return new Proxy({} as H, {
    get(_target, property) {
      // Not a thenable: `await useApp()` would otherwise wait on Fastify's.
      if (property === 'then') return undefined;
      if (!current) throw new Error(`The app is not built yet: use ${String(property)} inside a test or a hook, not at the top of the file`);
      if (moduleName && !(property in current) && ['name', 'api', 'deps', 'db', 'events', 'logger', 'handler'].includes(String(property))) {
        const module = current.module(moduleName) as Record<PropertyKey, unknown>;
        const value = module[property];
        return typeof value === 'function' ? value.bind(module) : value;
      }
      return propertyOf(current, property);
    },
  });
}

/** A property of the handle, or else of the Fastify instance it holds; never `then` (neither is a promise). */
function propertyOf(handle: { readonly app: object }, property: PropertyKey): unknown {
  if (property === 'then') return undefined;
  const holder = (property in handle ? handle : handle.app) as Record<PropertyKey, unknown>;
  const value = holder[property];
  return typeof value === 'function' ? value.bind(holder) : value;
}

/** The modules, with the registrations the test swaps replaced (each must exist: a typo would test nothing). */
function withOverrides(modules: readonly AnyModule[], overrides: Readonly<Record<string, Readonly<Record<string, unknown>>>>): AnyModule[] {
  return modules.map((module) => {
    const swapped = overrides[module.name];
    if (!swapped) return module;
    const unknown = Object.keys(swapped).filter((name) => !(name in (module.register ?? {})));
    if (unknown.length > 0) throw new Error(`Module "${module.name}" registers no ${unknown.map((name) => `"${name}"`).join(', ')} to override`);
    return { ...module, register: { ...module.register, ...swapped } } as AnyModule;
  });
}

function moduleHandle(name: string, parts: HarnessParts): ModuleHandle<unknown> {
  if (!parts.local.some((module) => module.name === name)) throw new Error(`Module "${name}" does not run in this app (it runs ${parts.local.map((module) => module.name).join(', ')})`);
  const view = parts.viewOf(name);
  const deps = new Proxy({}, { get: (_target, property) => (typeof property === 'string' ? view[property] : undefined) });
  return {
    name,
    get api() {
      return view.api as never;
    },
    deps: deps as never,
    db: <Tables>() => view.db as Kysely<Tables>,
    get events() {
      return view.events as Publisher;
    },
    get clock() {
      return view.clock as ModuleClock;
    },
    get logger() {
      return view.logger as Logger;
    },
    handler: (event, subscription) => parts.handlerOf(name, subscription ?? event.name) as never,
  };
}

