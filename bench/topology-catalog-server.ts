// The catalog alone, in a process of its own, for the RPC phase of bench/topology.ts: the app that `node src/main.ts`
// with MODULES=catalog builds (buildApp, the same config from the environment), but over a module list of the catalog
// alone. With the whole shop's list, the catalog's events would have a subscriber in another process (order-history)
// and the process would need NATS, which the call under test does not touch.
import { buildApp } from '../src/app.ts';
import { modules as shopModules } from '../src/modules.ts';
import { loadConfig } from '#platform/config.ts';
import { createLogger } from '#platform/logger.ts';

const modules = shopModules.filter((module) => module.name === 'catalog');
const config = loadConfig(process.env, modules.map((module) => module.name));
if (!config.databaseUrl) throw new Error('DATABASE_URL is required');
const app = await buildApp({ config, logger: createLogger(config.logLevel), modules, databaseUrl: config.databaseUrl });
await app.listen({ host: config.host, port: config.port });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
