/**
 * Structured JSON logs (pino). Two layers keep provider keys out: pino's path redaction for the places a
 * key is known to live (auth headers, `apiKey` fields), and a final pass over every serialised line that
 * replaces any registered secret wherever it appears (an upstream error that echoes the key, say).
 */
import { pino, type Logger, type LoggerOptions } from 'pino';
import type { Writable } from 'node:stream';
import { secrets } from '../core/secrets.js';

export type { Logger } from 'pino';

const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  'api_key',
  '*.api_key',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["x-goog-api-key"]',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-goog-api-key"]',
];

export function createLogger(level: LoggerOptions['level'] = 'info', destination: Writable = process.stdout): Logger {
  const scrubbing = {
    write(line: string): void {
      destination.write(secrets.redact(line));
    },
  };
  return pino(
    {
      level,
      base: { service: 'keel' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    scrubbing,
  );
}
