/**
 * How a channel's failures become DeliveryErrors: throttling, server errors, network errors and timeouts
 * are worth retrying (honouring Retry-After); any other rejection is not, and carries the service's own
 * words. Every message passes through the redactor, so a token echoed by a service never leaves here.
 */
import { redact } from '../../core/redact.js';
import { DeliveryError } from '../../incidents/delivery.js';

/** Statuspage documents 420 for its rate limit as well as 429. */
const THROTTLED = new Set([420, 429]);

/** Retry-After as delay-seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** A non-success HTTP answer from `service`. */
export function httpFailure(service: string, status: number, message: string, retryAfter?: string | null): DeliveryError {
  const text = redact(message);
  if (THROTTLED.has(status)) return new DeliveryError(`${service} is rate limiting Vigil (HTTP ${status}): ${text}`, true, status, retryAfterMs(retryAfter));
  if (status >= 500) return new DeliveryError(`${service} failed (HTTP ${status}): ${text}`, true, status, retryAfterMs(retryAfter));
  return new DeliveryError(`${service} rejected the request (HTTP ${status}): ${text}`, false, status);
}

/** No answer at all: refused, reset, DNS, TLS or a timeout. Always worth another try. */
export function networkFailure(service: string, err: unknown, timeoutMs: number): DeliveryError {
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') return new DeliveryError(`${service} did not answer within ${timeoutMs} ms`, true);
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const message = err instanceof Error ? err.message : String(err);
  return new DeliveryError(redact(`${service} could not be reached: ${message}${cause}`), true);
}

/** A DeliveryError passes through untouched; anything else thrown on the way is a network failure. */
export function asDeliveryError(service: string, err: unknown, timeoutMs: number): DeliveryError {
  return err instanceof DeliveryError ? err : networkFailure(service, err, timeoutMs);
}
