import { z } from 'zod';
import type { Emulator } from './http-types.js';
import type { Scenario } from './scenario.js';
import type { World } from './world.js';

export const slackScenario = z.strictObject({});

export function seedSlack(_world: World, _scenario: Scenario): void {}

export const slack: Emulator = {
  name: 'slack',
  route: () => undefined,
};
