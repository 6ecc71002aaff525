/**
 * How the bench's child processes point Vigil at a benchmark estate: by configuration only, as an
 * operator would. The endpoint and key go in the standard environment variables; AWS's rate limits are
 * multiplied by the sandbox's time compression (it serves AWS k times faster, and Vigil is told so, as
 * an operator would tell it a raised limit); accounts are discovered through AWS Organizations.
 */
import { DEFAULT_RATE_LIMITS } from '../src/adapters/aws/rate-limits.js';
import { configSchema, type RateLimitScope, type VigilConfig } from '../src/config/schema.js';

export interface ScanChildInput {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  roleName: string;
  externalId: string;
  drRegion: string;
  vaultToken: string;
  timeCompression: number;
  maxInFlight?: number;
}

export function useEstateEndpoint(input: ScanChildInput): void {
  process.env['AWS_ENDPOINT_URL'] = input.endpoint;
  process.env['AWS_ACCESS_KEY_ID'] = input.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] = input.secretAccessKey;
  process.env['AWS_REGION'] = 'us-east-1';
  delete process.env['AWS_PROFILE'];
}

export function benchConfig(input: ScanChildInput): VigilConfig {
  const k = input.timeCompression;
  const rateLimits = Object.fromEntries(
    Object.entries(DEFAULT_RATE_LIMITS).map(([scope, limit]) => [scope, { ratePerSecond: limit.ratePerSecond * k, burst: limit.burst }]),
  ) as Record<RateLimitScope, { ratePerSecond: number; burst: number }>;
  return configSchema.parse({
    version: 1,
    aws: { rateLimits, ...(input.maxInFlight ? { maxInFlight: input.maxInFlight } : {}) },
    organization: { discover: true, roleName: input.roleName, externalId: input.externalId, regions: 'enabled', drRegion: input.drRegion },
  });
}
