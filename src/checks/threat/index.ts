/**
 * Threat-detection and audit checks (GuardDuty, CloudTrail, Vault): their resource kinds, inventory
 * port, data needs and evaluators. Wired into the engine through src/checks/subjects.ts,
 * inventory.ts and registry.ts.
 */
import type { Evaluator, NeedLoader } from '../evaluator.js';
import type { SubjectKind } from '../subjects.js';

/** Resources these checks judge (detectors, findings, trails, events, Vault). */
export type ThreatResource = never;

/** What the inventory adapter must provide for these checks. */
// Empty until the threat checks land; the engine already composes it into InventoryPort.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ThreatInventoryPort {}

export const THREAT_SUBJECTS: Record<never, SubjectKind> = {};

export const THREAT_EVALUATORS: ReadonlyArray<Evaluator<never>> = [];

/** Data these evaluators need beyond their subject, by need name (`ctx.data[name]`). */
export const THREAT_NEEDS: Record<string, NeedLoader> = {};
