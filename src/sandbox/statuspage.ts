import { z } from 'zod';
import type { Emulator } from './http-types.js';
import type { Scenario } from './scenario.js';
import type { World } from './world.js';

export const statuspageScenario = z.strictObject({});

export function seedStatuspage(_world: World, _scenario: Scenario): void {}

export const statuspage: Emulator = {
  name: 'statuspage',
  route: () => undefined,
};
