import { describe, expect, it } from 'vitest';
import { DEMO_SCENARIO_URL, loadScenario } from '../../src/sandbox/scenario.js';
import { fileURLToPath } from 'node:url';

describe('the demo scenario', () => {
  it('parses strictly', () => {
    const scenario = loadScenario(fileURLToPath(DEMO_SCENARIO_URL));

    expect(scenario.name).toBe('coursecraft-demo');
    expect(scenario.accounts.map((a) => a.id)).toEqual(['111111111111', '222222222222', '333333333333']);
  });
});
