import Type, { type Static, type TSchema } from 'typebox';
import Value from 'typebox/value';

/**
 * Every setting Seams reads from the environment, in one place. The README's configuration table is generated from
 * this schema (`npm run docs:config`), and `npm run check` fails when the two drift apart.
 */
export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'TCP port the HTTP server listens on.' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Interface to listen on. Use 0.0.0.0 in containers.' }),
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
  MODULES: Type.String({
    minLength: 1,
    default: 'all',
    description: 'Modules this process runs: `all`, or a comma-separated list of module names.',
  }),
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'Connections in each module\'s pool.' }),
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
        'HS256 secret that signs and verifies bearer tokens. Unset with the embedded database: a development secret is generated into DATA_DIR. Required with DATABASE_URL.',
    }),
  ),
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
  EVENTS_RETENTION_HOURS: Type.Number({ minimum: 0, maximum: 8760, default: 168, description: 'How long handled events stay in outboxes and inboxes.' }),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(
    Type.String({ pattern: '^https?://', description: 'OTLP/HTTP collector base URL (e.g. http://127.0.0.1:4318). Set: traces and metrics are exported there.' }),
  ),
  OTEL_SERVICE_NAME: Type.String({ minLength: 1, default: 'seams', description: 'service.name on exported traces and metrics.' }),
  OTEL_SDK_DISABLED: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    description: 'true: the OpenTelemetry SDK is not started (no spans, no trace ids in logs); everything else works.',
  }),
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
  /** Names of the modules this process runs, in the order of the module list. */
  readonly modules: readonly string[];
  readonly dbPoolMax: number;
  readonly shutdownTimeoutMs: number;
  readonly jwtSecret: string | undefined;
  readonly otel: { readonly endpoint: string | undefined; readonly serviceName: string; readonly disabled: boolean };
  readonly events: {
    readonly maxAttempts: number;
    readonly retryBaseMs: number;
    readonly retryMaxMs: number;
    readonly batchSize: number;
    readonly pollIntervalMs: number;
    readonly retentionMs: number;
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
  return {
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    modules,
    dbPoolMax: config.DB_POOL_MAX,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    jwtSecret: config.JWT_SECRET,
    otel: { endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: config.OTEL_SERVICE_NAME, disabled: config.OTEL_SDK_DISABLED === 'true' },
    events: {
      maxAttempts: config.EVENTS_MAX_ATTEMPTS,
      retryBaseMs: config.EVENTS_RETRY_BASE_MS,
      retryMaxMs: Math.max(config.EVENTS_RETRY_MAX_MS, config.EVENTS_RETRY_BASE_MS),
      batchSize: config.EVENTS_BATCH_SIZE,
      pollIntervalMs: config.EVENTS_POLL_INTERVAL_MS,
      retentionMs: config.EVENTS_RETENTION_HOURS * 3_600_000,
    },
  };
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
