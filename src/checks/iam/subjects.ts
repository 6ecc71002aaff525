/**
 * The access checks' subjects, all account-level and outside tag scope: the root user, each user, and
 * each user or role judged on its powers. They share one read of the account's IAM per run (the
 * cached inventory memoizes it), normalized once.
 */
import type { AccountConfig } from '../../config/schema.js';
import { ExternalServiceError } from '../../core/errors.js';
import type { NeedLoader } from '../evaluator.js';
import type { InventoryPort } from '../inventory.js';
import { fetched, notFetched, type Fetched } from '../resources.js';
import type { SubjectKind } from '../subjects.js';
import { identitiesOf, rootOf, type Identities } from './normalize.js';
import { describeIdentity, describeRoot, principalName, type CredentialReport, type IamPrincipal, type IamRoot, type IamUser } from './resources.js';

/** A read that only some checks need: its failure becomes those checks' `error`, not the listing's. */
async function settle<T>(read: Promise<T>): Promise<Fetched<T>> {
  try {
    return fetched(await read);
  } catch (err) {
    if (err instanceof ExternalServiceError) return notFetched(err.message);
    throw err;
  }
}

// Keyed by the (memoized) authorization promise: every check of a run judges the same parsed snapshot.
const withCredentials = new WeakMap<object, Promise<Identities>>();
const policiesOnly = new WeakMap<object, Promise<Identities>>();

/**
 * Every user and role, normalized once per run. Users carry their credential report row only when
 * asked: the policy checks need no report, so they never wait for one to be generated.
 */
export function identities(inventory: InventoryPort, account: AccountConfig, credentials = true): Promise<Identities> {
  const authorization = inventory.iamAuthorization(account);
  const memo = credentials ? withCredentials : policiesOnly;
  let result = memo.get(authorization);
  if (!result) {
    result = (async () => {
      const auth = await authorization;
      const report = credentials ? await settle(inventory.iamCredentialReport(account)) : notFetched<CredentialReport>('not read for policy checks');
      return identitiesOf(auth, report);
    })();
    memo.set(authorization, result);
  }
  return result;
}

/** AWS owns the policies of service-linked roles and only its services assume them; they are not judged. */
function serviceLinked(path: string): boolean {
  return path.startsWith('/aws-service-role/');
}

export async function principals(inventory: InventoryPort, account: AccountConfig): Promise<IamPrincipal[]> {
  const { users, roles } = await identities(inventory, account, false);
  return [...users, ...roles.filter((r) => !serviceLinked(r.path))].map((identity) => ({ kind: 'iam-principal', id: identity.arn, identity }));
}

type Spec<R> = Omit<SubjectKind, 'list' | 'identify' | 'describe'> & {
  list(inventory: InventoryPort, account: AccountConfig): Promise<R[]>;
  identify(resource: R): { resource: string; name: string };
  describe(resource: R): string;
};

function kind<R>(spec: Spec<R>): SubjectKind {
  return spec as unknown as SubjectKind;
}

export const SUBJECTS = {
  'iam-root': kind<IamRoot>({
    plural: 'root users',
    level: 'account',
    scoped: false,
    reads: ['iamCredentialReport', 'iamAccountSummary'],
    list: async (inv, account) => [rootOf(account.id, await settle(inv.iamCredentialReport(account)), await settle(inv.iamAccountSummary(account)))],
    identify: (r) => ({ resource: r.arn, name: 'root' }),
    describe: describeRoot,
  }),
  'iam-user': kind<IamUser>({
    plural: 'IAM users',
    level: 'account',
    scoped: false,
    reads: ['iamAuthorization', 'iamCredentialReport'],
    list: async (inv, account) => (await identities(inv, account)).users,
    identify: (u) => ({ resource: u.arn, name: principalName(u) }),
    describe: describeIdentity,
  }),
  'iam-principal': kind<IamPrincipal>({
    plural: 'IAM users and roles',
    level: 'account',
    scoped: false,
    reads: ['iamAuthorization'],
    list: principals,
    identify: (p) => ({ resource: p.identity.arn, name: principalName(p.identity) }),
    describe: (p) => describeIdentity(p.identity),
  }),
} as const satisfies Record<string, SubjectKind>;

/** Deep mode: service last accessed for every judged user and role, read only when a check needs it. */
export const SERVICE_LAST_ACCESSED = 'iamServiceLastAccessed';

/** The inventory methods each need reads, for Vigil's IAM policy. */
export const NEED_READS: Record<string, ReadonlyArray<keyof InventoryPort>> = {
  [SERVICE_LAST_ACCESSED]: ['iamAuthorization', 'iamServiceLastAccessed'],
};

export const NEEDS: Record<string, NeedLoader> = {
  [SERVICE_LAST_ACCESSED]: async (inventory, account) => {
    const arns = (await principals(inventory, account)).map((p) => p.identity.arn).sort();
    return inventory.iamServiceLastAccessed(account, arns);
  },
};
