/**
 * Access checks (least-privilege IAM): their resource kinds, inventory port, data needs and
 * evaluators. Wired into the engine through src/checks/subjects.ts, inventory.ts and registry.ts.
 */
import type { Evaluator, NeedLoader } from '../evaluator.js';
import type { SubjectKind } from '../subjects.js';

/** Resources these checks judge (users, roles, the root user, ...). */
export type IamResource = never;

/** What the inventory adapter must provide for these checks. */
// Empty until the access checks land; the engine already composes it into InventoryPort.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface IamInventoryPort {}

export const IAM_SUBJECTS: Record<never, SubjectKind> = {};

export const IAM_EVALUATORS: ReadonlyArray<Evaluator<never>> = [];

/** Data these evaluators need beyond their subject, by need name (`ctx.data[name]`). */
export const IAM_NEEDS: Record<string, NeedLoader> = {};
