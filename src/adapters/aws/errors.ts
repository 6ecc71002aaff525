/**
 * AWS errors become one of a few kinds, here and nowhere else. A check that gets any of these reports
 * `error` with the reason: a failure to look is never a pass or a fail (Prowler #327).
 */
import { ExternalServiceError, ExternalErrorKind, type ExternalErrorKind as Kind } from '../../core/errors.js';

const ACCESS_DENIED = new Set([
  'AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedAccess', 'AuthorizationError',
  'InvalidClientTokenId', 'UnrecognizedClientException', 'ExpiredToken', 'ExpiredTokenException', 'AuthFailure',
  'SignatureDoesNotMatch', 'OptInRequired', 'InvalidAccessKeyId', 'AccountSuspended', 'AWSOrganizationsNotInUseException',
]);
const THROTTLED = new Set([
  'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestLimitExceeded', 'TooManyRequestsException',
  'SlowDown', 'RequestThrottled', 'RequestThrottledException', 'ProvisionedThroughputExceededException', 'BandwidthLimitExceeded',
  'LimitExceededException', 'EC2ThrottledException', 'PriorRequestNotComplete',
]);
const TIMEOUT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'NetworkingError']);

export interface AwsCallContext {
  service: string;
  operation: string;
  account?: string;
  region?: string;
}

export function classifyAwsError(err: unknown): { kind: Kind; code: string } {
  const e = err as { name?: string; code?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const code = e.name && e.name !== 'Error' ? e.name : (e.code ?? e.Code ?? 'Unknown');
  const status = e.$metadata?.httpStatusCode;
  if (ACCESS_DENIED.has(code) || status === 403) return { kind: ExternalErrorKind.AccessDenied, code };
  if (THROTTLED.has(code) || status === 429) return { kind: ExternalErrorKind.Throttled, code };
  if (TIMEOUT.has(code) || TIMEOUT.has(e.code ?? '')) return { kind: ExternalErrorKind.Timeout, code };
  if (/NotFound|^NoSuch/.test(code) || status === 404) return { kind: ExternalErrorKind.NotFound, code };
  if (UNREACHABLE.has(code) || UNREACHABLE.has(e.code ?? '') || (status !== undefined && status >= 500)) return { kind: ExternalErrorKind.Unavailable, code };
  return { kind: ExternalErrorKind.Unavailable, code };
}

const REASON: Record<Kind, string> = {
  access_denied: 'access denied',
  throttled: 'throttled, retries exhausted',
  not_found: 'not found',
  unavailable: 'service unavailable',
  timeout: 'timed out',
};

export function toExternalError(err: unknown, ctx: AwsCallContext): ExternalServiceError {
  if (err instanceof ExternalServiceError) return err;
  const { kind, code } = classifyAwsError(err);
  const where = [ctx.account, ctx.region].filter(Boolean).join('/');
  const message = `${ctx.service}:${ctx.operation}${where ? ` in ${where}` : ''}: ${REASON[kind]} (${code})`;
  return new ExternalServiceError(message, { kind, service: `aws:${ctx.service}`, operation: ctx.operation, code, account: ctx.account, region: ctx.region }, { cause: err });
}

/** Runs one AWS call and turns any failure into a typed ExternalServiceError. */
export async function awsCall<T>(ctx: AwsCallContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toExternalError(err, ctx);
  }
}
