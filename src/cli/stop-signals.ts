import { constants } from 'node:os';

/**
 * One Ctrl-C can arrive twice: from the terminal, which signals the whole process group, and from `node --watch`
 * (`npm run dev`), which passes it on to its child. A second signal this soon after the first is that same press.
 */
const SAME_PRESS_MS = 1000;

/**
 * SIGINT and SIGTERM: the first starts `stop` (a graceful shutdown); another one later means "now", and the process
 * exits at once and quietly, with the shell's code for the signal (130 for SIGINT, 143 for SIGTERM). What the
 * shutdown had not stopped yet is left: an embedded PostgreSQL is stopped by the next start.
 */
export function onStopSignals(stop: (signal: NodeJS.Signals) => void): void {
  let first: { signal: NodeJS.Signals; at: number } | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!first) {
      first = { signal, at: Date.now() };
      return stop(signal);
    }
    if (signal === first.signal && Date.now() - first.at < SAME_PRESS_MS) return;
    process.exit(128 + constants.signals[signal]);
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
}
