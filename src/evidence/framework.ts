/**
 * The ISO/IEC 27001:2022 Annex A framework file: all 93 controls, the kinds of evidence each can be
 * supported by, and the checks that evidence it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CONTROL_ID } from '../checks/definitions.js';
import { parseYamlInput } from '../core/input.js';

export const FRAMEWORK_FILE = 'checks/frameworks/iso27001-2022.yaml';

export const EVIDENCE_KINDS = ['checks', 'drills', 'incidents', 'attestation'] as const;

export const frameworkSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  controls: z.array(
    z.strictObject({
      id: z.string().regex(CONTROL_ID, 'expected an Annex A control id such as A.8.13'),
      title: z.string().min(3),
      theme: z.enum(['organizational', 'people', 'physical', 'technological']),
      evidence: z.array(z.enum(EVIDENCE_KINDS)).min(1),
      checks: z.array(z.string()).default([]),
      guidance: z.string().min(10),
    }),
  ),
});
export type Framework = z.output<typeof frameworkSchema>;

export function loadFramework(root: string): Framework {
  return parseYamlInput(readFileSync(join(root, FRAMEWORK_FILE), 'utf8'), FRAMEWORK_FILE, frameworkSchema);
}

/** The control ids the framework file lists, or undefined when there is no framework file yet. */
export function loadFrameworkControls(root: string): Set<string> | undefined {
  if (!existsSync(join(root, FRAMEWORK_FILE))) return undefined;
  return new Set(loadFramework(root).controls.map((c) => c.id));
}
