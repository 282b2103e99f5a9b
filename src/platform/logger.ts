import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.ts';

export type { Logger };

/**
 * Paths that must never reach a log line. Bearer tokens and passwords are secrets; payment methods are personal data.
 */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.token',
  '*.paymentMethod',
];

/** The root logger: JSON lines on stdout. `npm run dev` pipes them through pino-pretty. */
export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: 'seams' },
    redact: { paths: redactedPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
