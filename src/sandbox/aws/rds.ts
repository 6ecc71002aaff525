import { z } from 'zod';
import type { Scenario } from '../scenario.js';
import type { World } from '../world.js';
import type { AwsServiceEmulator } from './service.js';

export const rdsRegionScenario = z.strictObject({});

export async function seedRds(_world: World, _scenario: Scenario): Promise<void> {}

export const rds: AwsServiceEmulator = {
  signingName: 'rds',
  protocol: 'query',
  xmlNamespace: 'http://rds.amazonaws.com/doc/2014-10-31/',
  throttlingError: { code: 'Throttling', status: 400 },
  accessDeniedError: { code: 'AccessDenied', status: 403 },
  operations: {},
};
