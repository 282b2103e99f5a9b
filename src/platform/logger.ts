import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.ts';
import { traceContextFields } from './telemetry/log-trace-context.ts';

export type { Logger };

/**
 * Paths that must never reach a log line. Bearer tokens and passwords are secrets; payment methods are personal data.
 */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'password',
  'token',
  'paymentMethod',
  '*.password',
  '*.token',
  '*.paymentMethod',
  '*.*.password',
  '*.*.token',
  '*.*.paymentMethod',
  '*.*.*.paymentMethod',
];

/**
 * The root logger: JSON lines on stdout (or `destination`), each with the active trace's ids. `npm run dev` pipes
 * them through pino-pretty.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'seams' },
    redact: { paths: redactedPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: traceContextFields,
  };
  return destination ? pino(options, destination) : pino(options);
}
