import { runCommand } from './cli/run-command.ts';
import { sourceRuntime } from './cli/source-runtime.ts';

// The process entry from source: `npm start` runs `node --import ./src/telemetry.ts src/main.ts [command]`. The single
// binary's entry is src/binary.ts; both run the same command line (src/cli/).
await runCommand(process.argv.slice(2), process.env, sourceRuntime);
