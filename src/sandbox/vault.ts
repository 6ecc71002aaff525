import { z } from 'zod';
import type { Emulator } from './http-types.js';
import type { Scenario } from './scenario.js';
import type { World } from './world.js';

export const vaultScenario = z.strictObject({});

export function seedVault(_world: World, _scenario: Scenario): void {}

export const vault: Emulator = {
  name: 'vault',
  route: () => undefined,
};
