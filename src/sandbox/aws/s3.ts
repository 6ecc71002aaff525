import { z } from 'zod';
import type { Scenario } from '../scenario.js';
import type { World } from '../world.js';
import type { AwsServiceEmulator } from './service.js';

export const s3RegionScenario = z.strictObject({});

export function seedS3(_world: World, _scenario: Scenario): void {}

export const s3: AwsServiceEmulator = {
  signingName: 's3',
  protocol: 'rest-xml',
  
  throttlingError: { code: 'SlowDown', status: 503 },
  accessDeniedError: { code: 'AccessDenied', status: 403 },
  operations: {},
};
