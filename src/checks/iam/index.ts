/**
 * Access checks (least-privilege IAM): their resource kinds, inventory port, data needs and
 * evaluators. Wired into the engine through src/checks/subjects.ts, inventory.ts and registry.ts.
 */
import type { AccountConfig } from '../../config/schema.js';
import type { Evaluator, NeedLoader } from '../evaluator.js';
import type { Fetched } from '../resources.js';
import type { SubjectKind } from '../subjects.js';
import { CREDENTIAL_EVALUATORS } from './credentials.js';
import { PRIVILEGE_EVALUATORS } from './privileges.js';
import type { CredentialReport, IamAccountSummary, IamAuthorization, IamPrincipal, IamRoot, IamUser, ServiceLastAccessed } from './resources.js';
import type { InventoryPort } from '../inventory.js';
import { NEED_READS, NEEDS, SUBJECTS } from './subjects.js';

/** Resources these checks judge: the root user, users, and users and roles judged on their powers. */
export type IamResource = IamRoot | IamUser | IamPrincipal;

/** What the inventory adapter must provide for these checks: account-level reads of IAM. */
export interface IamInventoryPort {
  /** GetAccountAuthorizationDetails, every page and filter: one snapshot of users, groups, roles and policies. */
  iamAuthorization(account: AccountConfig): Promise<IamAuthorization>;
  /** The credential report, generated first when there is none recent enough. */
  iamCredentialReport(account: AccountConfig): Promise<CredentialReport>;
  iamAccountSummary(account: AccountConfig): Promise<IamAccountSummary>;
  /** Deep mode: services each identity (by ARN) is granted and when it last used them; a failure per identity is kept. */
  iamServiceLastAccessed(account: AccountConfig, arns: readonly string[]): Promise<Record<string, Fetched<ServiceLastAccessed[]>>>;
}

export const IAM_SUBJECTS: Record<IamResource['kind'], SubjectKind> = SUBJECTS;

export const IAM_EVALUATORS: ReadonlyArray<Evaluator<never>> = [...CREDENTIAL_EVALUATORS, ...PRIVILEGE_EVALUATORS] as unknown as ReadonlyArray<Evaluator<never>>;

/** Data these evaluators need beyond their subject, by need name (`ctx.data[name]`). */
export const IAM_NEEDS: Record<string, NeedLoader> = NEEDS;

/** The inventory methods each of IAM_NEEDS reads. */
export const IAM_NEED_READS: Record<string, ReadonlyArray<keyof InventoryPort>> = NEED_READS;
