import { modules, moduleNames } from '../modules.ts';
import { ConfigError, loadConfig } from '#platform/config.ts';
import { createLogger } from '#platform/logger.ts';
import { ModuleWiringError } from '#platform/modules/module-container.ts';
import { resolveTopology } from '#platform/modules/topology.ts';
import { EXIT_CODES, StartupError } from '#platform/startup-error.ts';
import { helpText } from './help.ts';
import { migrate } from './migrate.ts';
import type { Runtime } from './runtime.ts';
import { serve } from './serve.ts';
import { startupFailure } from './startup-failures.ts';

/**
 * The command line of Seams, the same from source and in the single binary: `[serve]`, `migrate`, `--help`,
 * `--version`. Mistakes a person can fix (configuration, folders, disk, permissions, a taken port, a database that
 * does not answer or refuses) end with a plain-text message and their own exit code, with no stack trace unless
 * LOG_LEVEL=debug.
 */
export async function runCommand(args: readonly string[], env: Record<string, string | undefined>, runtime: Runtime): Promise<void> {
  const [command = 'serve', ...extra] = args;
  if (command === '--help' || command === '-h' || command === 'help') return void process.stdout.write(helpText(runtime.program));
  if (command === '--version' || command === '-v' || command === 'version') {
    const { version, commit } = runtime.buildInfo();
    return void process.stdout.write(`seams ${version} (commit ${commit}, Node.js ${process.versions.node})\n`);
  }
  if ((command !== 'serve' && command !== 'migrate' && command !== 'health') || extra.length > 0) {
    process.stderr.write(`Unknown command: ${args.join(' ')}\nRun \`${runtime.program} --help\` for the commands and the configuration.\n`);
    process.exit(64); // EX_USAGE
  }

  let config;
  try {
    config = loadConfig(env, moduleNames);
    // MODULES and REMOTE_MODULES must cover every dependency of what runs here: a configuration mistake, told before
    // any database work (buildApp checks it again, for callers other than this entry).
    resolveTopology(modules, config.modules, config.remoteModules);
  } catch (error) {
    if (!(error instanceof ConfigError) && !(error instanceof ModuleWiringError)) throw error;
    process.stderr.write(`${error.message}\nSee the configuration table in README.md, or \`${runtime.program} --help\`.\n`);
    process.exit(EXIT_CODES.config);
  }

  if (command === 'health') return checkHealth(config.port);
  await runtime.startTelemetry?.();
  const logger = createLogger(config.logLevel);
  try {
    await (command === 'migrate' ? migrate(config, runtime, logger) : serve(config, runtime, logger));
  } catch (error) {
    const failure = error instanceof StartupError ? error : startupFailure(error);
    if (!failure) throw error;
    process.stderr.write(`${failure.message}\n`);
    if (config.logLevel === 'debug' || config.logLevel === 'trace') logger.debug({ err: error }, 'start-up failed');
    process.exit(failure.exitCode);
  }
}

/**
 * `seams health`: exits 0 when the instance on PORT at 127.0.0.1 answers /health/ready with 200, else 1; for a
 * container's HEALTHCHECK, in an image that has no curl.
 */
async function checkHealth(port: number): Promise<void> {
  const ready = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(2500) }).then((response) => response.ok, () => false);
  process.exit(ready ? 0 : 1);
}
