/**
 * Vigil's error vocabulary. Adapters turn vendor errors into these; only src/cli/ maps them to exit
 * codes. Messages never carry secrets: callers pass resource names and reasons, never credentials.
 */

export interface Problem {
  /** The file (or "argument", "request body", ...) the problem is in. */
  file: string;
  /** 1-based line, when the input had lines. */
  line?: number;
  /** Dotted field path, e.g. `accounts[0].regions`. Empty for the whole document. */
  path: string;
  message: string;
}

export class VigilError extends Error {
  override name = 'VigilError';
}

/** Bad input: every problem found, all at once. Exit code 2. */
export class ConfigError extends VigilError {
  override name = 'ConfigError';
  readonly problems: Problem[];

  constructor(problems: Problem[], summary?: string) {
    super(summary ?? formatProblems(problems));
    this.problems = problems;
  }
}

export function formatProblem(p: Problem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

export function formatProblems(problems: Problem[]): string {
  const head = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return `${head}:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`;
}

/** Kinds of failure to reach or read an external system. Created only in adapters. */
export const ExternalErrorKind = {
  AccessDenied: 'access_denied',
  Throttled: 'throttled',
  NotFound: 'not_found',
  Unavailable: 'unavailable',
  Timeout: 'timeout',
} as const;
export type ExternalErrorKind = (typeof ExternalErrorKind)[keyof typeof ExternalErrorKind];

export interface ExternalErrorDetails {
  kind: ExternalErrorKind;
  /** The system that answered, e.g. `aws:rds`, `vault`, `slack`. */
  service: string;
  /** The operation attempted, e.g. `DescribeDBInstances`. */
  operation?: string;
  /** The vendor's own error code, e.g. `AccessDenied`, `Throttling`. */
  code?: string;
  account?: string;
  region?: string;
}

export class ExternalServiceError extends VigilError {
  override name = 'ExternalServiceError';
  readonly details: ExternalErrorDetails;

  constructor(message: string, details: ExternalErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.details = details;
  }

  get kind(): ExternalErrorKind {
    return this.details.kind;
  }
}

/** Vigil refused to act because it would touch something it did not create. */
/** Someone else changed the record since it was read; the caller re-reads and tries again. */
export class ConflictError extends VigilError {}

export class SafetyError extends VigilError {
  override name = 'SafetyError';
}

/** A port in use, a data directory that cannot be written: the environment, not the input. */
export class EnvironmentError extends VigilError {
  override name = 'EnvironmentError';
}

export function isExternalError(err: unknown, kind?: ExternalErrorKind): err is ExternalServiceError {
  return err instanceof ExternalServiceError && (kind === undefined || err.kind === kind);
}
