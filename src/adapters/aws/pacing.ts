/**
 * The smithy middleware every AWS client Vigil builds carries (src/adapters/aws/clients.ts adds it),
 * so no adapter has to remember to pace its calls. It sits after the SDK's retry middleware and before
 * signing: every attempt, retries included, waits for its scope's token and a free slot, and is signed
 * when it leaves, not when it joined the queue. A call may wait minutes behind a scope's rate (20,000
 * snapshots at 12 a second), and AWS refuses a signature more than 15 minutes old; the credentials
 * were resolved before the wait (AssumeRole never holds a slot) and are resolved again after it when
 * they expire within a minute. A
 * throttled answer slows that scope and the call is sent again when the scope's next token comes:
 * the pacer's wait is the backoff, so a throttle costs one token interval rather than the SDK's
 * backoff (half a second and more) and never drains the SDK's retry budget. Only a call throttled
 * again and again goes back to the SDK's own retries. It also stops asking a service that has stopped
 * answering in an account and region, so one hung region costs two request timeouts, not one per call.
 */
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  FinalizeRequestMiddleware,
  HandlerExecutionContext,
  AbsoluteLocation,
  InitializeHandlerOptions,
  InitializeMiddleware,
  RelativeMiddlewareOptions,
} from '@smithy/types';
import { ExternalServiceError } from '../../core/errors.js';
import type { RateLimitScope } from '../../config/schema.js';
import { classifyAwsError } from './errors.js';
import type { Pacer, PacerClock, RateLimit } from './pacer.js';
import { limitScopeOf, pacerKey } from './rate-limits.js';

/** Where a client's calls go: one service, in one account (or the base credentials) and region. */
export interface ClientScope {
  service: string;
  /** The account id, or undefined for the base credentials. */
  account?: string;
  region: string;
}

export interface PacingDeps {
  pacer: Pacer;
  limits: Readonly<Record<RateLimitScope, RateLimit>>;
  health: ScopeHealth;
}

export const PACING_MIDDLEWARE_NAME = 'vigilPacing';
export const ADMISSION_MIDDLEWARE_NAME = 'vigilAdmission';

/**
 * First of all, before the call is serialized, its endpoint resolved or its credentials looked up:
 * a call is built only when its scope has room for it (Pacer.admit).
 */
export const ADMISSION_MIDDLEWARE_OPTIONS: InitializeHandlerOptions & AbsoluteLocation & { name: string } = {
  name: ADMISSION_MIDDLEWARE_NAME,
  step: 'initialize',
  priority: 'high',
  override: true,
};

/**
 * The room each call was let in with, until the pacer lets it through, by the call's input: clients
 * that cache their middleware (clients.ts) share one execution context among all calls of a command,
 * while each call has its own input object, carried from the first step to the last.
 */
const admissions = new WeakMap<object, () => void>();

/**
 * Before signing (and after retries): the SDK resolves credentials, an AssumeRole perhaps, while
 * serializing, before a call takes a slot; it is signed once it has its turn.
 */
export const PACING_MIDDLEWARE_OPTIONS: RelativeMiddlewareOptions & { name: string } = {
  name: PACING_MIDDLEWARE_NAME,
  relation: 'before',
  toMiddleware: 'httpSigningMiddleware',
  override: true,
};

/** Credentials expiring within this long of a call's turn are resolved again before it is signed. */
export const IDENTITY_REFRESH_MS = 60_000;

/**
 * After a wait, the call's resolved identity if it is still good for a minute, else a fresh one from
 * the client's credentials (the SDK's own provider renews a role session before it expires).
 */
async function freshIdentity(context: HandlerExecutionContext, credentials: AwsCredentialIdentityProvider | undefined): Promise<void> {
  const scheme = context.__smithy_context?.selectedHttpAuthScheme as { identity?: AwsCredentialIdentity } | undefined;
  const expiration = scheme?.identity?.expiration;
  if (!scheme || !credentials || !expiration || expiration.getTime() - Date.now() > IDENTITY_REFRESH_MS) return;
  scheme.identity = await credentials();
}

export function operationOf(commandName: string | undefined): string {
  return (commandName ?? 'Unknown').replace(/Command$/, '');
}

/** Times one call is sent, throttled, and sent again at the scope's pace before the SDK's retries take over. */
export const PACED_ATTEMPTS = 8;

/** Page tokens and page sizes across the SDK's protocols. Vigil sets the page size on every list call. */
const PAGE_TOKENS = ['NextToken', 'Marker', 'ContinuationToken'] as const;
const PAGE_SIZES = ['MaxResults', 'MaxRecords', 'MaxItems', 'MaxKeys'] as const;

/** Whether a call is a page of a listing, its first or a later one: a link of a chain, which the pacer lets go first. */
export function listingPage(input: unknown): 'first' | 'next' | undefined {
  if (!input || typeof input !== 'object') return undefined;
  const fields = input as Record<string, unknown>;
  if (PAGE_TOKENS.some((key) => Boolean(fields[key]))) return 'next';
  return PAGE_SIZES.some((key) => fields[key] !== undefined) ? 'first' : undefined;
}

/** How many items a listing page returned: its longest list. */
export function itemsOf(output: unknown): number {
  if (!output || typeof output !== 'object') return 0;
  let most = 0;
  for (const value of Object.values(output)) if (Array.isArray(value) && value.length > most) most = value.length;
  return most;
}

/** A request whose body can be sent twice: none, text or bytes, never a stream (an S3 upload). */
function resendable(request: unknown): boolean {
  const body = (request as { body?: unknown } | undefined)?.body;
  return body === undefined || body === null || typeof body === 'string' || ArrayBuffer.isView(body);
}

/** The admission middleware for one client: a call waits, unbuilt, until its scope has room for it. */
export function admissionMiddleware<Input extends object, Output extends object>(deps: PacingDeps, scope: ClientScope): InitializeMiddleware<Input, Output> {
  return (next, context) => async (args) => {
    const operation = operationOf(context.commandName);
    const limit = limitScopeOf(scope.service, operation);
    if (!limit) return next(args);
    deps.health.check(scope, operation);
    const release = await deps.pacer.admit(pacerKey(limit, scope.account ?? 'base', scope.region), deps.limits[limit], { page: listingPage(args.input) });
    admissions.set(args.input, release);
    try {
      return await next(args);
    } finally {
      // A call that failed before its turn (serializing, resolving credentials) gives its room back here.
      release();
      admissions.delete(args.input);
    }
  };
}

/** The pacing middleware for one client. */
export function pacingMiddleware<Input extends object, Output extends object>(
  deps: PacingDeps,
  scope: ClientScope,
  credentials?: AwsCredentialIdentityProvider,
): FinalizeRequestMiddleware<Input, Output> {
  return (next, context) => async (args) => {
    const operation = operationOf(context.commandName);
    const limit = limitScopeOf(scope.service, operation);
    const page = listingPage(args.input);
    for (let attempt = 1; ; attempt++) {
      deps.health.check(scope, operation);
      const permit = limit ? await deps.pacer.acquire(pacerKey(limit, scope.account ?? 'base', scope.region), deps.limits[limit], { page, admission: admissions.get(args.input) }) : undefined;
      // The service may have stopped answering while this call waited for its turn.
      if (!deps.health.isAnswering(scope)) {
        permit?.done('failed');
        deps.health.check(scope, operation);
      }
      try {
        if (permit) await freshIdentity(context, credentials);
        const out = await next(args);
        permit?.done('ok');
        if (permit && page) deps.pacer.listedItems(permit.scope, itemsOf(out.output));
        deps.health.answered(scope);
        return out;
      } catch (err) {
        const { kind } = classifyAwsError(err);
        permit?.done(kind === 'throttled' ? 'throttled' : 'failed');
        if (kind === 'timeout') deps.health.timedOut(scope);
        else if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== undefined) deps.health.answered(scope);
        // The scope is slowed already: waiting for its next token is the backoff.
        if (kind === 'throttled' && permit && attempt < PACED_ATTEMPTS && resendable(args.request)) continue;
        throw err;
      }
    }
  };
}

export interface ScopeHealthOptions {
  clock: PacerClock;
  requestTimeoutMs: number;
  /** Timeouts in a row, with no answer between them, after which the service is not asked again. */
  tripAfter?: number;
  /** How long it is not asked; the next call after that is a fresh try. */
  cooldownMs?: number;
}

interface Health {
  timeouts: number;
  openUntil: number;
}

/**
 * Which services stopped answering where. Two timeouts in a row (with the SDK's retries, that is one
 * call's attempts, or two calls at once) mean the service is not answering in that account and region;
 * later calls there fail at once, typed as timeouts, until the cooldown ends.
 */
export class ScopeHealth {
  private readonly scopes = new Map<string, Health>();
  private readonly tripAfter: number;
  private readonly cooldownMs: number;

  constructor(private readonly options: ScopeHealthOptions) {
    this.tripAfter = options.tripAfter ?? 2;
    this.cooldownMs = options.cooldownMs ?? 300_000;
  }

  /** Throws, typed as a timeout, when the service is not being asked in this scope. */
  check(scope: ClientScope, operation: string): void {
    const health = this.scopes.get(keyOf(scope));
    if (!health || this.options.clock.now() >= health.openUntil) return;
    const where = [scope.account, scope.region].filter(Boolean).join('/');
    const why = `${scope.service} gave no answer to ${health.timeouts} calls in a row within ${this.options.requestTimeoutMs} ms each; not asked again for ${Math.round(this.cooldownMs / 1000)} s`;
    throw new ExternalServiceError(`${scope.service}:${operation} in ${where}: timed out (${why})`, {
      kind: 'timeout',
      service: `aws:${scope.service}`,
      operation,
      code: 'NotAnswering',
      account: scope.account,
      region: scope.region,
    });
  }

  answered(scope: ClientScope): void {
    this.scopes.delete(keyOf(scope));
  }

  timedOut(scope: ClientScope): void {
    const key = keyOf(scope);
    const health = this.scopes.get(key) ?? { timeouts: 0, openUntil: -Infinity };
    health.timeouts += 1;
    if (health.timeouts >= this.tripAfter) health.openUntil = this.options.clock.now() + this.cooldownMs;
    this.scopes.set(key, health);
  }

  isAnswering(scope: ClientScope): boolean {
    const health = this.scopes.get(keyOf(scope));
    return !health || this.options.clock.now() >= health.openUntil;
  }
}

function keyOf(scope: ClientScope): string {
  return `${scope.service}|${scope.account ?? 'base'}|${scope.region}`;
}
