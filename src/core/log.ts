/**
 * Structured logs: a static message plus a metadata object, JSON on stderr, or pino-pretty's human
 * format when stderr is a terminal (VIGIL_LOG_FORMAT=json|pretty decides otherwise). Every line passes
 * through the secret redactor before it is written or formatted.
 */
import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import { redact } from './redact.js';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

export function logFormat(env: NodeJS.ProcessEnv = process.env, stream: { isTTY?: boolean } = process.stderr): LogFormat {
  const chosen = env['VIGIL_LOG_FORMAT'];
  if (chosen === 'json' || chosen === 'pretty') return chosen;
  return stream.isTTY && !env['CI'] ? 'pretty' : 'json';
}

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream; format?: LogFormat } = {}): Logger {
  const destination = options.destination ?? process.stderr;
  const format = options.format ?? (options.destination ? 'json' : logFormat());
  // pino-pretty reads the redacted JSON line and writes the human form; it never sees the raw line.
  const pretty = format === 'pretty' ? PinoPretty({ destination, colorize: Boolean((destination as { isTTY?: boolean }).isTTY), translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', sync: true }) : undefined;
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
    pretty ?? { write: (line: string) => destination.write(line) },
  );
}
