// What a benchmark has started and must stop on the way out: after the run (its finally blocks), and on Ctrl-C or
// SIGTERM, when no finally block runs because Node's default for those signals is to exit at once.

interface Pending {
  readonly what: string;
  readonly stop: () => Promise<unknown>;
}

const pending: Pending[] = [];

/**
 * Registers `stop` until it has run. Returns the function to call in the normal flow: it runs `stop` once and
 * forgets it, so a signal afterwards does not run it again.
 */
export function deferStop(what: string, stop: () => Promise<unknown>): () => Promise<void> {
  let ran: Promise<void> | undefined;
  const entry: Pending = {
    what,
    stop: () =>
      (ran ??= (async () => {
        const at = pending.indexOf(entry);
        if (at >= 0) pending.splice(at, 1);
        await stop();
      })()),
  };
  pending.push(entry);
  return () => entry.stop() as Promise<void>;
}

/** Runs every registered stop, newest first (a topology before the database it uses); failures are printed, not thrown. */
export async function stopEverything(): Promise<void> {
  while (pending.length > 0) {
    const entry = pending[pending.length - 1]!;
    await entry.stop().catch((error: unknown) => console.error(`bench: stopping ${entry.what} failed: ${error instanceof Error ? error.message : String(error)}`));
  }
}

/**
 * On the first SIGINT or SIGTERM: stop everything registered, then exit with 128 + the signal's number. A second one
 * gets Node's default (exit at once), for when stopping hangs.
 */
export function stopOnSignals(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      console.error(`\nbench: ${signal}, stopping what was started (${pending.map((entry) => entry.what).join(', ') || 'nothing'})`);
      void stopEverything().finally(() => process.exit(code));
    });
  }
}
