import { z } from 'zod';
import type { Emulator } from './http-types.js';
import type { Scenario } from './scenario.js';
import type { World } from './world.js';

export const pagerdutyScenario = z.strictObject({});

export function seedPagerDuty(_world: World, _scenario: Scenario): void {}

export const pagerduty: Emulator = {
  name: 'pagerduty',
  route: () => undefined,
};
