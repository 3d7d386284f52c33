import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/telemetry/logger.js';

/** A logger whose lines are kept (for secret scans) instead of printed. */
export function silentLogger(lines: string[] = []): Logger {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return createLogger('info', sink);
}
