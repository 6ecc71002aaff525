/**
 * Errors as the API answers them: a status and `{ error, problems? }`, where each problem names the part
 * of the request (`body`, `query`, `params`) and the field at fault. Validation reports every problem at
 * once. Internal errors say only that something broke and the request id to find it in the log.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ConfigError, ConflictError } from '../../core/errors.js';
import { redact } from '../../core/redact.js';

export type RequestPart = 'body' | 'query' | 'params';

export interface FieldProblem {
  in: RequestPart;
  /** Dotted path, e.g. `components[1]`; empty for the part as a whole. */
  field: string;
  message: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problems?: FieldProblem[],
  ) {
    super(message);
  }
}

/** Parses one part of a request; a missing body is an empty object, so each missing field is named. */
export function parsePart<S extends z.ZodType>(schema: S, value: unknown, part: RequestPart): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new HttpError(400, `invalid request ${part}`, result.error.issues.flatMap((issue) => problemsOf(issue, part)));
}

function problemsOf(issue: z.core.$ZodIssue, part: RequestPart): FieldProblem[] {
  const at = dotted(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ in: part, field: at ? `${at}.${key}` : key, message: 'unknown field' }));
  }
  return [{ in: part, field: at, message: issue.message }];
}

function dotted(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

// ---------------------------------------------------------------------------------------------------
// Field schemas whose messages say what was expected, and that a missing field is missing.

function expected(what: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : `expected ${what}`);
}

/** A required, non-blank string. */
export const text = (what = 'a string') => z.string({ error: expected(what) }).trim().min(1, 'must not be empty');

/** Why the change is made: recorded with the actor. */
export const reason = text('a string saying why').max(2000, 'at most 2000 characters');

export const stringList = (what: string) => z.array(text(what), { error: expected(`a list of ${what}s`) });

export const flag = z.boolean({ error: expected('true or false') });

export const queryFlag = z.enum(['true', 'false'], { error: 'expected true or false' }).transform((v) => v === 'true');

/**
 * For `superRefine` on a body: run even when fields failed, so a rule between fields (give a severity or
 * answers) is reported with the field errors, all at once. The refinement sees the raw input, so it may
 * only test presence and equality.
 */
export const alongsideFieldErrors = { when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value) };

export const queryLimit = z.coerce.number({ error: 'expected a whole number' }).int('expected a whole number').min(1, 'at least 1').max(1000, 'at most 1000');

// ---------------------------------------------------------------------------------------------------
// The error handler.

export interface ErrorBody {
  error: string;
  problems?: FieldProblem[];
  requestId?: string;
}

export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof HttpError) return reply.code(err.status).send(body(err.message, err.problems));
  if (err instanceof ConfigError) {
    // The lifecycle refusing an action is a conflict with the incident's state, not a malformed request.
    const state = err.problems.every((p) => p.path === 'state');
    const problems = err.problems.map((p): FieldProblem => ({ in: 'body', field: p.path, message: redact(p.message) }));
    return reply.code(state ? 409 : 400).send(body(state ? 'not allowed in the current state' : 'invalid request', problems));
  }
  if (err instanceof ConflictError) return reply.code(409).send(body(redact(err.message)));
  const fastifyError = err as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Fastify's own refusals: unreadable JSON, an unsupported content type, a body too large.
    return reply.code(status).send(body('invalid request body', [{ in: 'body', field: '', message: redact(fastifyError.message ?? 'unreadable') }]));
  }
  request.log.error({ err }, 'request failed');
  return reply.code(500).send({ error: 'internal error; the service log has the details', requestId: request.id } satisfies ErrorBody);
}

function body(error: string, problems?: FieldProblem[]): ErrorBody {
  return problems && problems.length > 0 ? { error, problems } : { error };
}
