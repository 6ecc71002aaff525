/**
 * Structured logs: a static message plus a metadata object, JSON on stderr. Every line passes through
 * the secret redactor before it is written.
 */
import { pino, type Logger } from 'pino';
import { redact } from './redact.js';

export type { Logger };

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const destination = options.destination ?? process.stderr;
  return pino(
    {
      level: options.level ?? process.env['VIGIL_LOG_LEVEL'] ?? 'warn',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        // Redact the serialized line, so no field or nested error can carry a secret out.
        streamWrite: (line) => redact(line),
      },
    },
    { write: (line: string) => destination.write(line) },
  );
}
