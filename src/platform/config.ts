import Type, { type Static, type TSchema } from 'typebox';
import Value from 'typebox/value';
import { defaultCacheRoot } from './files/cache-root.ts';

/**
 * Every setting Seams reads from the environment, in one place. The README's configuration table is generated from
 * this schema (`npm run docs:config`), and `npm run check` fails when the two drift apart.
 */
export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'TCP port the HTTP server listens on.' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Interface to listen on. Use 0.0.0.0 in containers.' }),
  HTTP_REQUEST_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 10_000,
    description: 'Longest time a client may take to send a whole request, headers and body; past it the connection is closed (408). A slow client cannot hold a socket.',
  }),
  HTTP_CONNECTION_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 30_000,
    description: 'Longest silence on a connection while a request is under way (either side); past it the socket is closed.',
  }),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 72_000,
    description: 'How long an idle keep-alive connection stays open for the next request. Keep it above the idle timeout of the load balancer in front (often 60 s).',
  }),
  CORS_ORIGINS: Type.Optional(
    Type.String({
      pattern: '^\\s*https?://[^,\\s]+\\s*(,\\s*https?://[^,\\s]+\\s*)*$',
      description: 'Origins whose browser pages may call the API, comma-separated (`https://shop.example.com`). Unset: no CORS headers, so browsers on other origins cannot read answers.',
    }),
  ),
  LOG_LEVEL: Type.Union(
    [Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')],
    { default: 'info', description: 'Minimum pino log level.' },
  ),
  DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description:
        'PostgreSQL server to use (a user that may create roles and schemas). Unset: an embedded PostgreSQL is started with its data in DATA_DIR.',
    }),
  ),
  DATA_DIR: Type.String({ minLength: 1, default: '.data', description: 'Where the embedded PostgreSQL keeps its data. Ignored when DATABASE_URL is set.' }),
  CACHE_DIR: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Where files are unpacked or copied once and reused: the single binary\'s embedded PostgreSQL and static files; as root, a copy of the PostgreSQL programs when the OS user postgres cannot reach node_modules. Each start checks them by hash and writes them again if damaged. Unset: ~/.cache/seams, or /var/cache/seams as root.',
    }),
  ),
  MODULES: Type.String({
    minLength: 1,
    default: 'all',
    description: 'Modules this process runs: `all`, or a comma-separated list of module names.',
  }),
  REMOTE_MODULES: Type.Optional(
    Type.String({
      pattern: '^\\s*[a-z][a-z0-9-]*\\s*=\\s*https?://[^,\\s]+\\s*(,\\s*[a-z][a-z0-9-]*\\s*=\\s*https?://[^,\\s]+\\s*)*$',
      description:
        'Where the modules this process does not run live: `payments=http://10.0.0.5:3000,inventory=http://…`. Their APIs are called over HTTP and their events arrive over NATS. A module that a local module needs must be local or listed here.',
    }),
  ),
  SERVICE_TOKEN: Type.Optional(
    Type.String({
      minLength: 32,
      description:
        'Shared secret that processes present to each other when one calls a module API served by another (`/internal/modules/…`). Required when REMOTE_MODULES is set or MODULES is not `all`.',
    }),
  ),
  REMOTE_TIMEOUT_MS: Type.Integer({ minimum: 10, maximum: 120_000, default: 2000, description: 'Timeout of one call to a remote module API.' }),
  REMOTE_RETRIES: Type.Integer({
    minimum: 0,
    maximum: 10,
    default: 2,
    description: 'Extra attempts of a remote call that failed by timeout, network error or 502/503/504; only for methods the contract marks idempotent.',
  }),
  NATS_URL: Type.Optional(
    Type.String({
      pattern: '^(nats|tls)://',
      description: 'NATS JetStream server(s), comma-separated. Required when an event crosses processes (a producer or subscriber runs elsewhere); unused otherwise.',
    }),
  ),
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'Connections in each module\'s pool.' }),
  DB_CONNECT_TIMEOUT_MS: Type.Integer({
    minimum: 50,
    maximum: 60_000,
    default: 1000,
    description:
      'Longest wait for a new database connection: past it (or at once when the database refuses) a request answers 503 DATABASE_UNAVAILABLE with Retry-After, and while the outage lasts every request does so at once.',
  }),
  DB_POOL_WAIT_MS: Type.Integer({
    minimum: 50,
    maximum: 120_000,
    default: 5000,
    description: 'Longest wait for a free connection in a module\'s pool when all are busy; past it the request answers 503 DATABASE_UNAVAILABLE. At least DB_CONNECT_TIMEOUT_MS.',
  }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 60000,
    default: 8000,
    description: 'On SIGTERM/SIGINT, how long in-flight requests may take before the process exits anyway.',
  }),
  JWT_SECRET: Type.Optional(
    Type.String({
      minLength: 32,
      description:
        'HS256 secret that signs and verifies bearer tokens, for development and tests. Unset with the embedded database: a development secret is generated into DATA_DIR. Required with DATABASE_URL unless JWT_JWKS_URL is set (then unused for verifying).',
    }),
  ),
  JWT_JWKS_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description:
        "An identity provider's JSON Web Key Set (Keycloak, Auth0, Entra ID: `https://…/.well-known/jwks.json` or the provider's `jwks_uri`). Set: bearer tokens must be signed RS256 or ES256 by one of its keys, picked by `kid`; JWT_SECRET no longer verifies them. Keys are cached; an unknown `kid` refetches the set once.",
    }),
  ),
  JWT_JWKS_COOLDOWN_MS: Type.Integer({
    minimum: 0,
    maximum: 3_600_000,
    default: 30_000,
    description: 'Shortest time between two fetches of JWT_JWKS_URL, so tokens with made-up `kid`s cannot flood the identity provider.',
  }),
  JWT_ISSUER: Type.Optional(Type.String({ minLength: 1, description: 'Set: a token\'s `iss` must be exactly this.' })),
  JWT_AUDIENCE: Type.Optional(
    Type.String({ minLength: 1, description: 'Set: a token\'s `aud` must contain this (or one of these, comma-separated).' }),
  ),
  JWT_MAX_AGE: Type.Integer({
    minimum: 60,
    maximum: 31_536_000,
    default: 86_400,
    description:
      'Longest accepted token lifetime in seconds, from `iat`: a token whose `exp` is further from its `iat`, or issued longer ago, is refused. Tokens need `exp` and `iat`.',
  }),
  JWT_CLOCK_TOLERANCE_S: Type.Integer({ minimum: 0, maximum: 30, default: 5, description: 'Seconds of clock skew allowed when checking `exp`, `nbf` and `iat`.' }),
  JWT_ROLES_CLAIM: Type.String({
    minLength: 1,
    default: 'roles',
    description: 'The claim that lists the caller\'s roles (`admin` among them for admins): a name (`roles`, `https://example.com/roles`) or a dotted path (`realm_access.roles`).',
  }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({
    minimum: 0,
    maximum: 1_000_000,
    default: 1200,
    description:
      'Requests one caller may make per minute: the subject of a valid bearer token, else the client address. Over it: 429 problem+json with Retry-After and RateLimit-* headers. 0: no limit. /health/* and /metrics are exempt, and so are calls between modules.',
  }),
  RATE_LIMIT_REDIS_URL: Type.Optional(
    Type.String({
      pattern: '^rediss?://',
      description: 'Redis that keeps the rate-limit counts, so that every instance shares one limit per caller. Unset: each instance counts on its own. A Redis that is away lets requests through.',
    }),
  ),
  RATE_LIMIT_REDIS_PREFIX: Type.String({ minLength: 1, default: 'seams:rate-limit:', description: 'Prefix of the rate-limit keys in RATE_LIMIT_REDIS_URL.' }),
  TRUST_PROXY: Type.String({
    minLength: 1,
    default: 'false',
    description:
      'Behind a reverse proxy or load balancer, which of them to believe about the client address (X-Forwarded-For), which the rate limit keys on: `true` (all), a number of hops, or a comma-separated list of addresses or CIDRs. `false`: the connection\'s own address.',
  }),
  EVENTS_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 1000, default: 10, description: 'Attempts per event and subscription before it becomes a dead letter.' }),
  EVENTS_RETRY_BASE_MS: Type.Integer({ minimum: 1, maximum: 3_600_000, default: 1000, description: 'First retry delay; doubles per attempt, with jitter.' }),
  EVENTS_RETRY_MAX_MS: Type.Integer({ minimum: 1, maximum: 86_400_000, default: 300_000, description: 'Longest retry delay.' }),
  EVENTS_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 200, description: 'Events a subscription handles per transaction.' }),
  EVENTS_POLL_INTERVAL_MS: Type.Integer({
    minimum: 10,
    maximum: 600_000,
    default: 1000,
    description: 'Fallback poll for new events. Delivery is pushed; this only bounds the delay when a wake-up is missed.',
  }),
  EVENTS_NATS_PARTITIONS: Type.Integer({
    minimum: 1,
    maximum: 256,
    default: 4,
    description:
      'Partitions of each event\'s NATS subjects, by key: a receiver per partition and subscription stores in parallel, keeping per-key order. The same value in every process; change it only once the receivers have caught up.',
  }),
  ORDER_PENDING_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    maximum: 30 * 86_400_000,
    default: 900_000,
    description:
      'An order still pending this long after it was placed (payments never answered: down, or extracted and unreachable) is cancelled with the reason `expired`, and its stock released.',
  }),
  EVENTS_RETENTION_HOURS: Type.Number({ minimum: 0, maximum: 8760, default: 168, description: 'How long handled events stay in outboxes and inboxes.' }),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(
    Type.String({ pattern: '^https?://', description: 'OTLP/HTTP collector base URL (e.g. http://127.0.0.1:4318). Set: traces and metrics are exported there.' }),
  ),
  OTEL_SERVICE_NAME: Type.String({ minLength: 1, default: 'seams', description: 'service.name on exported traces and metrics.' }),
  CONSOLE_TRACE_BUFFER: Type.Integer({
    minimum: 0,
    maximum: 100_000,
    default: 200,
    description: 'How many recent traces the console keeps in memory (whole traces, oldest dropped first); 0 keeps none.',
  }),
  CONSOLE_TRACE_URL: Type.Optional(
    Type.String({
      pattern: '^https?://.*\\{traceId\\}',
      description: 'Link from a trace in the console to your tracing backend; {traceId} is replaced, e.g. https://jaeger.example/trace/{traceId}.',
    }),
  ),
  OTEL_SDK_DISABLED: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    description: 'true: the OpenTelemetry SDK is not started (no spans, no trace ids in logs); everything else works.',
  }),
  // Read by the SDK as it starts (src/platform/telemetry/start-from-env.ts), before this config exists; listed here so
  // that they are documented and a bad value stops start-up.
  OTEL_TRACES_SAMPLER: Type.Optional(
    Type.Union(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'].map((name) => Type.Literal(name)), {
      description: 'Which traces are recorded. Unset: all of them (parent-based, always on).',
    }),
  ),
  OTEL_TRACES_SAMPLER_ARG: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'The ratio of the traceidratio samplers, 0 to 1.' })),
  OTEL_BSP_SCHEDULE_DELAY: Type.Optional(Type.Integer({ minimum: 0, description: 'Milliseconds between two exports of finished spans (the SDK\'s default: 5000).' })),
  OTEL_BSP_MAX_QUEUE_SIZE: Type.Optional(Type.Integer({ minimum: 1, description: 'Finished spans kept for export at most; more are dropped (default 2048).' })),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: Type.Optional(Type.Integer({ minimum: 1, description: 'Spans per export request at most (default 512).' })),
  OTEL_BSP_EXPORT_TIMEOUT: Type.Optional(Type.Integer({ minimum: 0, description: 'Milliseconds an export may take before it is abandoned (default 30000).' })),
});

type RawConfig = Static<typeof ConfigSchema>;

export type LogLevel = RawConfig['LOG_LEVEL'];

/** The validated configuration. Built once at start-up by {@link loadConfig}; nothing else reads `process.env`. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** CACHE_DIR, or its default (defaultCacheRoot). */
  readonly cacheDir: string;
  /** Names of the modules this process runs, in the order of the module list. */
  readonly modules: readonly string[];
  /** Base URL of each module that runs in another process (REMOTE_MODULES). */
  readonly remoteModules: Readonly<Record<string, string>>;
  /** A module's own database (DATABASE_URL_<MODULE>), for the modules that have one; the rest use `databaseUrl`. */
  readonly moduleDatabaseUrls: Readonly<Record<string, string>>;
  readonly serviceToken: string | undefined;
  readonly remote: { readonly timeoutMs: number; readonly retries: number };
  readonly natsUrl: string | undefined;
  readonly dbPoolMax: number;
  readonly dbConnectTimeoutMs: number;
  readonly dbPoolWaitMs: number;
  readonly shutdownTimeoutMs: number;
  readonly jwtSecret: string | undefined;
  readonly jwt: {
    readonly jwksUrl: string | undefined;
    readonly jwksCooldownMs: number;
    readonly issuer: string | undefined;
    readonly audiences: readonly string[];
    readonly maxAgeSeconds: number;
    readonly clockToleranceSeconds: number;
    readonly rolesClaim: string;
  };
  readonly http: {
    readonly timeouts: { readonly requestMs: number; readonly connectionMs: number; readonly keepAliveMs: number };
    readonly corsOrigins: readonly string[];
  };
  readonly rateLimit: { readonly perMinute: number; readonly redisUrl: string | undefined; readonly redisPrefix: string };
  /** Fastify's trustProxy: all, none, these addresses, or a function that trusts the first N hops. */
  readonly trustProxy: TrustProxy;
  /** The console's link out to a tracing backend, with `{traceId}` in it. */
  readonly consoleTraceUrl: string | undefined;
  /** ORDER_PENDING_TIMEOUT_MS: when a pending order expires. */
  readonly orderPendingTimeoutMs: number;
  readonly otel: { readonly endpoint: string | undefined; readonly serviceName: string; readonly disabled: boolean };
  readonly events: {
    readonly maxAttempts: number;
    readonly retryBaseMs: number;
    readonly retryMaxMs: number;
    readonly batchSize: number;
    readonly pollIntervalMs: number;
    readonly retentionMs: number;
    readonly natsPartitions: number;
  };
}

/** A configuration value that is not allowed. The message names the variable, the value and what is allowed. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Validates the environment against {@link ConfigSchema}. Empty strings count as unset, as shells often export them.
 * @param knownModules every module name in the module list; `MODULES` may only name these.
 */
export function loadConfig(env: Record<string, string | undefined>, knownModules: readonly string[]): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  // On a copy: Default and Convert change their input, and messages must quote what was given.
  const converted = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, { ...raw })) as Record<string, unknown>;
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(ConfigSchema, converted)) {
    const key = error.instancePath.split('/')[1] ?? '';
    if (seen.has(key)) continue;
    seen.add(key);
    const schema = (ConfigSchema.properties as Record<string, TSchema>)[key];
    problems.push(`${key}=${JSON.stringify(raw[key])} is not allowed: expected ${schema ? describeAllowed(schema) : 'nothing'}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const config = converted as RawConfig;
  const modules = parseModules(config.MODULES, knownModules);
  const remoteModules = parseRemoteModules(config.REMOTE_MODULES, knownModules, modules);
  const moduleDatabaseUrls = parseModuleDatabaseUrls(env, knownModules);
  if (config.SERVICE_TOKEN === undefined && (Object.keys(remoteModules).length > 0 || modules.length < knownModules.length)) {
    throw new ConfigError([
      `SERVICE_TOKEN is not set: it is required when MODULES is not "all" or REMOTE_MODULES is set, so that processes can call each other's module APIs (a string of at least 32 characters, the same in every process)`,
    ]);
  }
  return {
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    cacheDir: config.CACHE_DIR ?? defaultCacheRoot(),
    modules,
    remoteModules,
    moduleDatabaseUrls,
    serviceToken: config.SERVICE_TOKEN,
    remote: { timeoutMs: config.REMOTE_TIMEOUT_MS, retries: config.REMOTE_RETRIES },
    natsUrl: config.NATS_URL,
    dbPoolMax: config.DB_POOL_MAX,
    dbConnectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    dbPoolWaitMs: config.DB_POOL_WAIT_MS,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    jwtSecret: config.JWT_SECRET,
    jwt: {
      jwksUrl: config.JWT_JWKS_URL,
      jwksCooldownMs: config.JWT_JWKS_COOLDOWN_MS,
      issuer: config.JWT_ISSUER,
      audiences: (config.JWT_AUDIENCE ?? '').split(',').map((audience) => audience.trim()).filter(Boolean),
      maxAgeSeconds: config.JWT_MAX_AGE,
      clockToleranceSeconds: config.JWT_CLOCK_TOLERANCE_S,
      rolesClaim: config.JWT_ROLES_CLAIM,
    },
    http: {
      timeouts: { requestMs: config.HTTP_REQUEST_TIMEOUT_MS, connectionMs: config.HTTP_CONNECTION_TIMEOUT_MS, keepAliveMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS },
      corsOrigins: (config.CORS_ORIGINS ?? '').split(',').map((origin) => origin.trim().replace(/\/+$/, '')).filter(Boolean),
    },
    rateLimit: { perMinute: config.RATE_LIMIT_PER_MINUTE, redisUrl: config.RATE_LIMIT_REDIS_URL, redisPrefix: config.RATE_LIMIT_REDIS_PREFIX },
    trustProxy: parseTrustProxy(config.TRUST_PROXY),
    consoleTraceUrl: config.CONSOLE_TRACE_URL,
    orderPendingTimeoutMs: config.ORDER_PENDING_TIMEOUT_MS,
    otel: { endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: config.OTEL_SERVICE_NAME, disabled: config.OTEL_SDK_DISABLED === 'true' },
    events: {
      maxAttempts: config.EVENTS_MAX_ATTEMPTS,
      retryBaseMs: config.EVENTS_RETRY_BASE_MS,
      retryMaxMs: Math.max(config.EVENTS_RETRY_MAX_MS, config.EVENTS_RETRY_BASE_MS),
      batchSize: config.EVENTS_BATCH_SIZE,
      pollIntervalMs: config.EVENTS_POLL_INTERVAL_MS,
      retentionMs: config.EVENTS_RETENTION_HOURS * 3_600_000,
      natsPartitions: config.EVENTS_NATS_PARTITIONS,
    },
  };
}

export type TrustProxy = boolean | string[] | ((address: string, hop: number) => boolean);

function parseTrustProxy(value: string): TrustProxy {
  const trimmed = value.trim();
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
  if (/^\d+$/.test(trimmed)) {
    const hops = Number(trimmed);
    return (_address, hop) => hop < hops;
  }
  return trimmed.split(',').map((entry) => entry.trim()).filter(Boolean);
}

function parseModules(value: string, knownModules: readonly string[]): string[] {
  if (value.trim() === 'all') return [...knownModules];
  const requested = value.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = requested.filter((name) => !knownModules.includes(name));
  if (unknown.length > 0 || requested.length === 0) {
    throw new ConfigError([
      `MODULES=${JSON.stringify(value)} is not allowed: ${unknown.length > 0 ? `unknown module ${unknown.map((n) => `"${n}"`).join(', ')}; ` : ''}expected "all" or a comma-separated list of ${knownModules.join(', ')}`,
    ]);
  }
  return knownModules.filter((name) => requested.includes(name));
}

/** `payments=http://…,inventory=http://…` as a map; names must be known modules that do not also run here. */
function parseRemoteModules(value: string | undefined, knownModules: readonly string[], local: readonly string[]): Record<string, string> {
  if (value === undefined) return {};
  const remote: Record<string, string> = {};
  const problems: string[] = [];
  for (const entry of value.split(',')) {
    const [rawName = '', ...rest] = entry.split('=');
    const name = rawName.trim();
    const url = rest.join('=').trim().replace(/\/+$/, '');
    if (!knownModules.includes(name)) problems.push(`REMOTE_MODULES names "${name}", which is not a module: expected one of ${knownModules.join(', ')}`);
    else if (local.includes(name)) problems.push(`REMOTE_MODULES names "${name}", which this process runs itself (MODULES): a module is either local or remote`);
    else if (name in remote) problems.push(`REMOTE_MODULES names "${name}" twice`);
    else remote[name] = url;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return remote;
}

/** The variable that gives a module its own database: `DATABASE_URL_ORDER_HISTORY` for order-history. */
export function moduleDatabaseVariable(module: string): string {
  return `DATABASE_URL_${module.toUpperCase().replaceAll('-', '_')}`;
}

function parseModuleDatabaseUrls(env: Record<string, string | undefined>, knownModules: readonly string[]): Record<string, string> {
  const urls: Record<string, string> = {};
  const problems: string[] = [];
  for (const module of knownModules) {
    const variable = moduleDatabaseVariable(module);
    const value = env[variable];
    if (value === undefined || value === '') continue;
    if (!/^postgres(ql)?:\/\//.test(value)) problems.push(`${variable}=${JSON.stringify(value)} is not allowed: expected a postgres:// or postgresql:// URL`);
    else urls[module] = value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return urls;
}

/** Variables whose name is a pattern, for the README table (the schema above lists fixed names only). */
export const PATTERN_VARIABLES = [
  {
    name: 'DATABASE_URL_<MODULE>',
    allowed: 'a string matching /^postgres(ql)?:\\/\\//',
    description:
      "A module's own PostgreSQL database, e.g. `DATABASE_URL_PAYMENTS` (upper case, `-` as `_`). Its schema, role, migrations and event tables go there. Unset: the module uses DATABASE_URL (or the embedded server).",
  },
] as const;

/** Says in words what a schema accepts; used in error messages and the generated README table. */
export function describeAllowed(schema: TSchema): string {
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.anyOf)) return `one of ${(s.anyOf as Array<{ const: unknown }>).map((option) => String(option.const)).join(', ')}`;
  if (s.type === 'integer') return `an integer from ${String(s.minimum)} to ${String(s.maximum)}`;
  if (s.type === 'number') return `a number from ${String(s.minimum)} to ${String(s.maximum)}`;
  if (s.type === 'string' && typeof s.minLength === 'number' && s.minLength > 1) return `a string of at least ${s.minLength} characters`;
  if (s.type === 'string' && typeof s.pattern === 'string') return `a string matching /${s.pattern}/`;
  if (s.type === 'string') return 'a non-empty string';
  return 'a valid value';
}

/** One row of the configuration table (README, `seams --help`). */
export interface ConfigVariable {
  readonly name: string;
  /** undefined: unset by default. */
  readonly default: string | undefined;
  readonly allowed: string;
  readonly description: string;
}

/** Every variable with its default, what it accepts and what it does, in schema order; pattern variables last. */
export function configVariables(): ConfigVariable[] {
  const fixed = Object.entries(ConfigSchema.properties as Record<string, TSchema>).map(([name, schema]) => {
    const s = schema as Record<string, unknown>;
    return { name, default: s.default === undefined ? undefined : String(s.default), allowed: describeAllowed(schema), description: String(s.description ?? '') };
  });
  return [...fixed, ...PATTERN_VARIABLES.map((variable) => ({ name: variable.name, default: undefined, allowed: variable.allowed, description: variable.description }))];
}
