/** The one error boundary: turns errors into messages and exit codes. Only src/cli/ exits. */
import { CommanderError } from 'commander';
import { ConfigError, EnvironmentError, ExternalServiceError, SafetyError, formatProblem } from '../core/errors.js';
import { redactValue } from '../core/redact.js';
import type { Io } from './output.js';

export const ExitCode = {
  Ok: 0,
  /** Something was evaluated and failed. */
  Failed: 1,
  /** Bad input: arguments, config, files; or an environment that prevents starting. */
  BadInput: 2,
  /** Something could not be evaluated: access denied, throttled, unreachable. */
  NotEvaluated: 3,
  /** Vigil refused to act on something it did not create. */
  Safety: 4,
  /** A bug in Vigil. */
  Internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export function reportError(err: unknown, io: Io, json: boolean): ExitCode {
  const { code, payload, lines } = describe(err);
  if (json) io.err(JSON.stringify({ error: redactValue(payload) }));
  else for (const line of lines) io.err(line);
  return code;
}

function describe(err: unknown): { code: ExitCode; payload: Record<string, unknown>; lines: string[] } {
  if (err instanceof ConfigError) {
    const lines = [`vigil: ${err.problems.length === 1 ? 'invalid input' : `${err.problems.length} problems in the input`}:`, ...err.problems.map((p) => `  ${formatProblem(p)}`)];
    return { code: ExitCode.BadInput, payload: { type: 'config', problems: err.problems }, lines };
  }
  if (err instanceof EnvironmentError) return { code: ExitCode.BadInput, payload: { type: 'environment', message: err.message }, lines: [`vigil: ${err.message}`] };
  if (err instanceof ExternalServiceError) {
    return { code: ExitCode.NotEvaluated, payload: { type: 'external', message: err.message, ...err.details }, lines: [`vigil: ${err.message}`] };
  }
  if (err instanceof SafetyError) return { code: ExitCode.Safety, payload: { type: 'safety', message: err.message }, lines: [`vigil: refused: ${err.message}`] };
  if (err instanceof CommanderError) return { code: ExitCode.BadInput, payload: { type: 'usage', message: err.message }, lines: [] };
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return {
    code: ExitCode.Internal,
    payload: { type: 'internal', message: err instanceof Error ? err.message : String(err) },
    lines: [`vigil: internal error (this is a bug in Vigil; please report it):`, message],
  };
}
