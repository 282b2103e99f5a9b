import { runCommand } from './cli/run-command.ts';
import { sourceRuntime } from './cli/source-runtime.ts';

// The process entry from source: `npm run dev` and `npm run migrate` run `node --import ./src/telemetry.ts src/main.ts
// [command]`. `npm start` runs the bundle (src/bundle.ts) and the single binary src/binary.ts; all run the same command
// line (src/cli/).
await runCommand(process.argv.slice(2), process.env, sourceRuntime);
