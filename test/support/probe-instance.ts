/**
 * One app instance running probe modules, as a process of its own: for tests of several instances sharing a database
 * and of crashes. Started by test/support/probe-process.ts; not a test itself.
 *
 * Environment:
 * - DATABASE_URL (required): the test run's database;
 * - PROBE_PREFIX (required), PROBE_SUBSCRIBERS (default 2), PROBE_PARTITIONS (default 1), PROBE_MIGRATIONS_DIR
 *   (required, shared by every instance of one probe system): what probeSystem builds;
 * - PROBE_INSTANCE: a name for this instance, used in event keys and output (default pid<pid>);
 * - PROBE_HANDLER_DELAY_MS: how long each handler sleeps, inside its transaction (default 0);
 * - PROBE_PUBLISH: events to publish as soon as the app is ready (default 0);
 * - PROBE_PUBLISH_INTERVAL_MS: pause between two publishing transactions (default 0);
 * - PROBE_PUBLISH_LANES: concurrent publishing loops (default 1); lane `l` publishes under the keys
 *   `<instance>-<l>-<i>`, i < PROBE_KEYS_PER_LANE (default 2), one event after the other, so each key's order is known;
 * - PROBE_ROLE: `all` (default: every probe module here), `producer` (the producer only; its events leave over NATS)
 *   or `subscribers` (the subscribers only; the producer's events arrive over NATS). With a role, NATS_URL is required;
 * - plus the app's own settings (EVENTS_*, DB_POOL_MAX, LOG_LEVEL, NATS_URL; logs default to silent).
 *
 * Output: JSON lines on stdout, each with a `probe` field (pino's lines, if logs are on, have none):
 * `ready`, `published` (every 10 and at the end, with the count committed so far), `summary` (handler invocations per
 * subscriber), `stopped`.
 *
 * Input: lines on stdin: `publish <count>`, `summary`, `stop`. SIGTERM or the end of stdin (the test process went
 * away) stop it too, closing the app gracefully.
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '#platform/config.ts';
import { createLogger } from '#platform/logger.ts';
import type { Publisher } from '#platform/events/publisher.ts';
import { probeSystem } from './probe-modules.ts';

const env = process.env;
function required(name: string): string {
  const value = env[name];
  if (!value) throw new Error(`probe-instance: ${name} is required`);
  return value;
}

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ probe: line.probe, instance, ...line })}\n`);
}

const instance = env.PROBE_INSTANCE ?? `pid${process.pid}`;
const handlerDelayMs = Number(env.PROBE_HANDLER_DELAY_MS ?? 0);
const lanes = Number(env.PROBE_PUBLISH_LANES ?? 1);
const keysPerLane = Number(env.PROBE_KEYS_PER_LANE ?? 2);
const publishIntervalMs = Number(env.PROBE_PUBLISH_INTERVAL_MS ?? 0);
const invocations: Record<string, number> = {};

const probes = probeSystem(
  required('PROBE_PREFIX'),
  Number(env.PROBE_SUBSCRIBERS ?? 2),
  async (_event, subscriber) => {
    invocations[subscriber] = (invocations[subscriber] ?? 0) + 1;
    if (handlerDelayMs > 0) await sleep(handlerDelayMs);
  },
  { partitions: Number(env.PROBE_PARTITIONS ?? 1), migrationsDir: required('PROBE_MIGRATIONS_DIR') },
);

const role = env.PROBE_ROLE ?? 'all';
const everyModule = probes.modules.map((module) => module.name);
const local = role === 'producer' ? [probes.producer] : role === 'subscribers' ? probes.subscribers : everyModule;
const remote = everyModule.filter((name) => !local.includes(name));
const config = loadConfig(
  {
    ...env,
    LOG_LEVEL: env.LOG_LEVEL ?? 'silent',
    JWT_SECRET: env.JWT_SECRET ?? 'probe-instance-secret-of-at-least-32-characters',
    MODULES: local.join(','),
    // Never called: the probe modules' contracts have no methods. They only have to be somewhere.
    ...(remote.length > 0 ? { REMOTE_MODULES: remote.map((name) => `${name}=http://127.0.0.1:9`).join(','), SERVICE_TOKEN: 'probe-service-token-of-at-least-32-chars' } : {}),
  },
  everyModule,
);
const app = await buildApp({ config, logger: createLogger(config.logLevel), modules: probes.modules, databaseUrl: required('DATABASE_URL'), migrationsDir: probes.migrationsDir });
await app.ready();
const producing = local.includes(probes.producer);
const producerDb = producing ? app.diContainer.resolve<Kysely<unknown>>(`${probes.producer}/db`) : undefined;
const events = producing ? app.diContainer.resolve<Publisher>(`${probes.producer}/events`) : undefined;
emit({ probe: 'ready' });

/** Events committed so far. */
let published = 0;
/** Event numbers handed out so far (some may not be committed yet). */
let claimed = 0;
let publishing: Promise<void> = Promise.resolve();
let stopping = false;

/**
 * Publishes `count` events, one transaction each, from PROBE_PUBLISH_LANES lanes at once. Each lane publishes under
 * keys of its own, one event after the other, so every key's publish order is well defined.
 */
async function publish(count: number): Promise<void> {
  if (!producerDb || !events) throw new Error(`probe-instance ${instance}: this instance does not run the producer (PROBE_ROLE=${role})`);
  const target = claimed + count;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      while (claimed < target && !stopping) {
        const n = ++claimed;
        const key = `${instance}-${lane}-${n % keysPerLane}`;
        await producerDb.transaction().execute((trx) => events.publish(trx, probes.Pinged, { n, key, note: instance }));
        published += 1;
        if (published % 10 === 0 || published === target) emit({ probe: 'published', count: published });
        if (publishIntervalMs > 0) await sleep(publishIntervalMs);
      }
    }),
  );
}

function schedulePublish(count: number): void {
  publishing = publishing.then(() => publish(count)).catch((error: unknown) => {
    process.stderr.write(`probe-instance ${instance}: publishing failed: ${String((error as Error)?.stack ?? error)}\n`);
    process.exitCode = 1;
  });
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await publishing;
  await app.close();
  emit({ probe: 'stopped', published, invocations });
  process.exit(process.exitCode ?? 0);
}

process.on('SIGTERM', () => void stop());
const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  const [command, argument] = line.trim().split(/\s+/);
  if (command === 'publish') schedulePublish(Number(argument));
  else if (command === 'summary') emit({ probe: 'summary', published, invocations });
  else if (command === 'stop') void stop();
});
input.on('close', () => void stop());

const initial = Number(env.PROBE_PUBLISH ?? 0);
if (initial > 0) schedulePublish(initial);
