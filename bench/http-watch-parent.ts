// Preloaded (node --import) into the servers bench/http.ts starts: their stdin is a pipe from the benchmark, which
// closes when the benchmark dies, however it dies. The server then gets a SIGTERM and shuts down as it would in
// production, so no server outlives a killed benchmark. Costs nothing per request.
const stdin = process.stdin as NodeJS.ReadStream & { unref?: () => void };
stdin.on('data', () => undefined);
stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
stdin.on('error', () => process.kill(process.pid, 'SIGTERM'));
stdin.resume();
stdin.unref?.();
