import { z } from 'zod';
import type { Scenario } from '../scenario.js';
import type { World } from '../world.js';
import type { AwsServiceEmulator } from './service.js';

export const guarddutyRegionScenario = z.strictObject({});

export function seedGuardDuty(_world: World, _scenario: Scenario): void {}

export const guardduty: AwsServiceEmulator = {
  signingName: 'guardduty',
  protocol: 'rest-json',
  
  throttlingError: { code: 'TooManyRequestsException', status: 429 },
  accessDeniedError: { code: 'AccessDeniedException', status: 403 },
  operations: {},
};
