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

const { chindingsSym } = pino.symbols;

/**
 * `parent.child(bindings)` for bindings that are all strings (a request id, a module name), made without pino's
 * per-binding redaction: with wildcard paths (`*.password`) pino runs every binding value through the redactor, which
 * parses each path again for each value (about 3 µs per request, docs/benchmarks-history.md), and a string has nothing
 * to redact. The child is what pino's own child() makes when given no options: an object on the parent's prototype with
 * the bindings appended to its serialized ones (pino.symbols is pino's interface for such integrations). Lines it
 * writes, and its own children, are redacted as any logger's.
 */
export function childWithStrings(parent: Logger, bindings: Readonly<Record<string, string>>): Logger {
  const child = Object.create(parent) as Logger & Record<symbol, string>;
  let serialized = (parent as Logger & Record<symbol, string>)[chindingsSym] ?? '';
  for (const key in bindings) serialized += `,${JSON.stringify(key)}:${JSON.stringify(bindings[key])}`;
  child[chindingsSym] = serialized;
  return child;
}
