/** The access checks through the engine with a fake IAM inventory: listing, scope, read failures, one read per run. */
import { describe, expect, it } from 'vitest';
import type { CheckDefinition } from '../../../src/checks/definitions.js';
import { evaluate } from '../../../src/checks/engine.js';
import type { IamInventoryPort } from '../../../src/checks/iam/index.js';
import type { CredentialReport, IamAccountSummary, IamAuthorization } from '../../../src/checks/iam/resources.js';
import { cachedInventory, type InventoryPort } from '../../../src/checks/inventory.js';
import { EVALUATORS } from '../../../src/checks/registry.js';
import type { Resource } from '../../../src/checks/resources.js';
import { ExternalServiceError } from '../../../src/core/errors.js';
import type { CheckResult } from '../../../src/core/results.js';
import { ACCOUNT } from '../fixtures.js';
import { allow, authorization, doc, NOW, role, row, user } from './fixtures.js';

function check(id: string, evaluator: string, params: Record<string, unknown> = {}): CheckDefinition {
  const e = EVALUATORS.get(evaluator);
  const parsed = (e?.params.parse(params) ?? {}) as Record<string, unknown>;
  return { id, title: `${id} holds`, severity: 'high', evaluator, params: parsed, risk: 'r'.repeat(20), remediation: `runbooks/${id}.md`, controls: ['A.8.2'], enabled: true, resource: e?.subject(parsed) as Resource['kind'], file: `checks/${id}.yaml` };
}

const denied = (operation: string) => new ExternalServiceError(`iam:${operation} in 222222222222: access denied (AccessDenied)`, { kind: 'access_denied', service: 'aws:iam', operation });

class FakeIam implements IamInventoryPort {
  calls: string[] = [];
  constructor(private readonly data: { authorization: IamAuthorization | Error; report?: CredentialReport | Error; summary?: IamAccountSummary | Error }) {}
  private answer<T>(method: string, value: T | Error | undefined): Promise<T> {
    this.calls.push(method);
    if (value === undefined) return Promise.reject(new Error(`${method} was not expected`));
    return value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
  }
  iamAuthorization = () => this.answer('iamAuthorization', this.data.authorization);
  iamCredentialReport = () => this.answer('iamCredentialReport', this.data.report);
  iamAccountSummary = () => this.answer('iamAccountSummary', this.data.summary);
  iamServiceLastAccessed = () => this.answer<Record<string, never>>('iamServiceLastAccessed', undefined);
}

async function run(checks: CheckDefinition[], fake: FakeIam): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  // Only IAM lists are called by these checks; the account's tag scope does not apply to them.
  const inventory = cachedInventory(fake as unknown as InventoryPort);
  await evaluate({ checks, accounts: [ACCOUNT], scope: { include: [{ env: 'production' }], exclude: [] } }, { inventory, evaluators: EVALUATORS, now: NOW, clock: () => NOW }, (batch) => {
    results.push(...batch);
  });
  return results.sort((a, b) => `${a.checkId}|${a.name}`.localeCompare(`${b.checkId}|${b.name}`));
}

const brief = (r: CheckResult) => [r.checkId, r.region, r.name, r.status];

describe('access checks in the engine', () => {
  it('judges users and roles once per account, outside tag scope, from one read of IAM', async () => {
    const fake = new FakeIam({
      authorization: authorization({ users: [user('bob', { inline: [{ name: 'all-s3', text: doc(allow('s3:*')) }] })], roles: [role('Reader')] }),
      report: { generatedAt: NOW, users: [row('bob', { passwordEnabled: true, mfaActive: false })] },
    });

    const results = await run([check('admin', 'iam-admin-power'), check('mfa', 'iam-user-console-mfa'), check('direct', 'iam-no-direct-policies')], fake);

    expect(results.map(brief)).toEqual([
      ['admin', 'global', 'role/Reader', 'pass'],
      ['admin', 'global', 'user/bob', 'fail'],
      ['direct', 'global', 'user/bob', 'fail'],
      ['mfa', 'global', 'user/bob', 'fail'],
    ]);
    expect(fake.calls.sort()).toEqual(['iamAuthorization', 'iamCredentialReport']);
  });

  it('does not wait for the credential report when only policies are judged', async () => {
    const fake = new FakeIam({ authorization: authorization({ roles: [role('Reader')] }) });

    const results = await run([check('admin', 'iam-admin-power'), check('escalation', 'iam-escalation-paths')], fake);

    expect(results.map((r) => r.status)).toEqual(['pass', 'pass']);
    expect(fake.calls).toEqual(['iamAuthorization']);
  });

  it('is not applicable when the account has no users', async () => {
    const results = await run([check('mfa', 'iam-user-console-mfa')], new FakeIam({ authorization: authorization({}), report: { generatedAt: NOW, users: [] } }));

    expect(results.map((r) => [r.name, r.status, r.message])).toEqual([['IAM users in account 222222222222', 'not_applicable', 'No IAM users in account 222222222222.']]);
  });

  it('reports error, never pass or fail, when IAM cannot be read', async () => {
    const results = await run([check('admin', 'iam-admin-power')], new FakeIam({ authorization: denied('GetAccountAuthorizationDetails') }));

    expect(results.map((r) => [r.name, r.status, r.message])).toEqual([
      ['IAM users and roles in account 222222222222', 'error', 'Could not list IAM users and roles in account 222222222222: iam:GetAccountAuthorizationDetails in 222222222222: access denied (AccessDenied).'],
    ]);
  });

  it('keeps policy checks working when only the credential report is unreadable', async () => {
    const fake = new FakeIam({ authorization: authorization({ users: [user('bob')] }), report: denied('GenerateCredentialReport'), summary: denied('GetAccountSummary') });

    const results = await run([check('admin', 'iam-admin-power'), check('keys', 'iam-access-key-age'), check('root', 'iam-root-access-keys')], fake);

    expect(results.map((r) => [r.checkId, r.name, r.status, r.message])).toEqual([
      ['admin', 'user/bob', 'pass', 'IAM user bob holds no administrative power.'],
      ['keys', 'user/bob', 'error', 'IAM user bob: could not read the credential report: iam:GenerateCredentialReport in 222222222222: access denied (AccessDenied).'],
      [
        'root',
        'root',
        'error',
        'The root user of account 222222222222: could not read whether it has access keys: iam:GenerateCredentialReport in 222222222222: access denied (AccessDenied); iam:GetAccountSummary in 222222222222: access denied (AccessDenied).',
      ],
    ]);
  });
});
