import { parseDuration, type Clock } from '../clock.ts';

/**
 * A clock a test moves forward. It runs with real time, plus however far the test advanced it, so code that measures
 * short intervals still works; `advance('16m')` makes everything due in the next 16 minutes due now, and wakes the
 * event bus so that it looks at once (no sleeping, no polling).
 */
export interface TestClock extends Clock {
  /** Moves the clock forward by a duration (`'16m'`, `'2s'`, or ms). */
  advance(duration: string | number): void;
  /** How far the test has moved it, in ms. */
  readonly advancedMs: number;
}

export function createTestClock(): TestClock {
  let offset = 0;
  const listeners = new Set<() => void>();
  return {
    now: () => new Date(Date.now() + offset),
    get advancedMs() {
      return offset;
    },
    advance(duration) {
      const ms = parseDuration(duration);
      if (ms < 0) throw new Error(`A test clock only moves forward; advance(${JSON.stringify(duration)}) would move it back`);
      offset += ms;
      for (const listener of listeners) listener();
    },
    onJump(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
