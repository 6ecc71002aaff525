/**
 * AWS's request rate limits, as published, and which scope each call counts against. AWS throttles
 * per account and per region, so a scope is a limit name plus an account and a region (for IAM and
 * Organizations, whose API is global, always the default region: one scope per account). Where AWS
 * publishes no figure the default is a conservative guess, marked as such; every default can be
 * overridden in `aws.rateLimits`.
 */
import type { RateLimitScope, VigilConfig } from '../../config/schema.js';
import type { RateLimit } from './pacer.js';

export const DEFAULT_RATE_LIMITS: Readonly<Record<RateLimitScope, RateLimit>> = {
  // Non-mutating actions (Describe*, List*, Get*): a bucket of 100 refilled at 20 per second.
  // https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html ("Request token bucket
  // sizes and refill rates"). Older editions give one bucket to all non-mutating actions, newer ones
  // one per API; sharing one is right under both.
  ec2: { ratePerSecond: 20, burst: 100 },
  // "By default, you can make up to 300 requests in a burst and a sustained 12 requests per second",
  // per account and region, across the RDS API.
  // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-api-throttling.html
  rds: { ratePerSecond: 12, burst: 300 },
  // "The rate of lookup requests is limited to two per second, per account, per Region."
  // https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
  // A burst of 1: AWS states no burst, so calls start at least 500 ms apart.
  'cloudtrail:LookupEvents': { ratePerSecond: 2, burst: 1 },
  // Not published for the control-plane reads Vigil makes (DescribeTrails, GetTrailStatus,
  // GetEventSelectors); a guess.
  cloudtrail: { ratePerSecond: 10, burst: 20 },
  // Not published (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_limits.html lists
  // resource quotas only); a guess.
  guardduty: { ratePerSecond: 10, burst: 20 },
  // Not published; IAM throttles well below EC2 in practice. A guess, per account (IAM is global).
  iam: { ratePerSecond: 10, burst: 20 },
  // S3 publishes per-prefix data-plane rates (3,500 writes and 5,500 reads per second), nothing for the
  // bucket-configuration reads Vigil makes; a guess well under those.
  s3: { ratePerSecond: 100, burst: 100 },
  // Not published; a guess. Vigil only pages through ListAccounts, 20 accounts a page.
  organizations: { ratePerSecond: 5, burst: 10 },
  // STS publishes 600 requests per second per account and region
  // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html); Vigil's share is kept small.
  sts: { ratePerSecond: 50, burst: 100 },
};

/** The limit in force for each scope: the published default, or the config's override. */
export function rateLimits(overrides: VigilConfig['aws']['rateLimits']): Record<RateLimitScope, RateLimit> {
  const out = { ...DEFAULT_RATE_LIMITS };
  for (const [scope, limit] of Object.entries(overrides ?? {}) as Array<[RateLimitScope, RateLimit | undefined]>) if (limit) out[scope] = limit;
  return out;
}

/** Which limit a call counts against: its own API's, if it has one, else its service's. */
export function limitScopeOf(service: string, operation: string): RateLimitScope | undefined {
  const own = `${service}:${operation}`;
  if (own in DEFAULT_RATE_LIMITS) return own as RateLimitScope;
  return service in DEFAULT_RATE_LIMITS ? (service as RateLimitScope) : undefined;
}

/** The pacer's key for a call: the limit, in one account (`base` for the base credentials) and one region. */
export function pacerKey(scope: RateLimitScope, account: string, region: string): string {
  return `${scope}|${account}|${region}`;
}
