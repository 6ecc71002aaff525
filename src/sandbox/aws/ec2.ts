import { z } from 'zod';
import type { Scenario } from '../scenario.js';
import type { World } from '../world.js';
import type { AwsServiceEmulator } from './service.js';

export const ec2RegionScenario = z.strictObject({});

export function seedEc2(_world: World, _scenario: Scenario): void {}

export const ec2: AwsServiceEmulator = {
  signingName: 'ec2',
  protocol: 'ec2',
  xmlNamespace: 'http://ec2.amazonaws.com/doc/2016-11-15/',
  throttlingError: { code: 'RequestLimitExceeded', status: 503 },
  accessDeniedError: { code: 'UnauthorizedOperation', status: 403 },
  operations: {},
};
