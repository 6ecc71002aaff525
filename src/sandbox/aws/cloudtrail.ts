import { z } from 'zod';
import type { Scenario } from '../scenario.js';
import type { World } from '../world.js';
import type { AwsServiceEmulator } from './service.js';

export const cloudtrailRegionScenario = z.strictObject({});

export function seedCloudTrail(_world: World, _scenario: Scenario): void {}

export const cloudtrail: AwsServiceEmulator = {
  signingName: 'cloudtrail',
  protocol: 'json',
  targetPrefix: 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101',
  throttlingError: { code: 'ThrottlingException', status: 400 },
  accessDeniedError: { code: 'AccessDeniedException', status: 400 },
  operations: {},
};
