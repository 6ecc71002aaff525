/**
 * Vigil's own least privilege, proven: run every check and a restore drill against the demo sandbox,
 * collect the API calls the sandbox saw, and compare them with what `vigil iam-policy` grants.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drillActions, readActions, vigilPolicy } from '../../src/adapters/aws/policy.js';
import { loadCheckDefinitions } from '../../src/checks/definitions.js';
import { EVALUATORS } from '../../src/checks/registry.js';
import { PROJECT_ROOT } from '../../src/core/paths.js';
import type { CallRecord } from '../../src/sandbox/recorder.js';
import { DEMO_SCENARIO_URL, loadScenario } from '../../src/sandbox/scenario.js';
import { runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

/** Declared actions a run of the enabled checks need not call, and why. */
const CONDITIONAL: Record<string, string> = {
  's3:GetBucketLocation': 'only when ListBuckets does not report a bucket\'s region',
  'rds:AddTagsToResource': 'not a call: IAM requires it to restore an instance with tags',
  's3:PutObjectTagging': 'not a call: IAM requires it for CopyObject with tags',
};

let sandbox: TestSandbox;
let seen: Set<string>;
/** What `vigil iam-policy` derives for the enabled checks. */
const enabled = loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS })
  .filter((c) => c.enabled)
  .map((check) => ({ check, evaluator: EVALUATORS.get(check.evaluator) as NonNullable<ReturnType<typeof EVALUATORS.get>> }));

function iamAction(call: CallRecord): string {
  return call.action ?? `${call.service.replace(/^aws:/, '')}:${call.operation}`;
}

beforeAll(async () => {
  sandbox = await startTestSandbox(loadScenario(fileURLToPath(DEMO_SCENARIO_URL)));
  const dir = mkdtempSync(join(tmpdir(), 'vigil-actions-'));
  writeFileSync(
    join(dir, 'vigil.config.yaml'),
    `version: 1
accounts:
  - { id: "222222222222", name: production, roleArn: "arn:aws:iam::222222222222:role/VigilAudit", externalId: vigil-demo, regions: [us-east-1, us-west-2], drRegion: us-west-2 }
  - { id: "333333333333", name: staging, roleArn: "arn:aws:iam::333333333333:role/VigilAudit", externalId: vigil-demo, regions: [us-east-1] }
scope: { include: [{ env: production }] }
drills: { pollIntervalSeconds: 0.5 }
`,
  );
  const env = {
    AWS_ENDPOINT_URL: sandbox.info.awsEndpoint,
    AWS_ACCESS_KEY_ID: 'AKIAVIGILDEMO0000001',
    AWS_SECRET_ACCESS_KEY: 'sandbox-demo-secret-key',
    AWS_REGION: 'us-east-1',
    VAULT_ADDR: sandbox.info.vaultAddr,
    VAULT_TOKEN: 'hvs.sandbox-demo-token',
    VIGIL_CONFIG: join(dir, 'vigil.config.yaml'),
    VIGIL_DATA_DIR: dir,
  };
  await runCli(['accounts', 'verify'], { env });
  await runCli(['check', 'run', '--reason', 'declared actions'], { env });
  await runCli(['drill', 'run', 'lms-prod', 'course-content', '--reason', 'declared actions'], { env });
  const calls = await sandbox.inspect<CallRecord[]>('calls');
  // What the audit role's sessions called (STS calls belong to the starting principal).
  seen = new Set(calls.filter((c) => c.service.startsWith('aws:') && c.accessKeyId?.startsWith('ASIA')).map(iamAction));
}, 180_000);

afterAll(async () => {
  await sandbox.stop();
});

describe('the actions Vigil declares', () => {
  it('cover every action a full run made', () => {
    const granted = new Set([...readActions({ checks: enabled }), ...drillActions()]);

    expect([...seen].filter((a) => !granted.has(a)).sort()).toEqual([]);
  });

  it('include nothing a full run did not need, except what is conditional by design', () => {
    const unused = [...readActions({ checks: enabled }), ...drillActions()].filter((a) => !seen.has(a) && !(a in CONDITIONAL));

    expect(unused.sort()).toEqual([]);
  });

  it('follow the enabled checks: the deep-mode IAM check, off by default, adds its own reads only when enabled', () => {
    const deep = loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS }).filter((c) => c.id === 'iam-unused-services');
    const withDeep = [...enabled, ...deep.map((check) => ({ check, evaluator: EVALUATORS.get(check.evaluator) as NonNullable<ReturnType<typeof EVALUATORS.get>> }))];

    expect(readActions({ checks: enabled })).not.toContain('iam:GenerateServiceLastAccessedDetails');
    expect(readActions({ checks: withDeep })).toEqual(expect.arrayContaining(['iam:GenerateServiceLastAccessedDetails', 'iam:GetServiceLastAccessedDetails']));
    expect(readActions({ checks: enabled.filter(({ check }) => check.id.startsWith('s3-')) })).not.toContain('guardduty:ListFindings');
  });

  it('keep drill mutations out of the read-only policy and limit them by tag', () => {
    const readOnly = vigilPolicy({ withDrills: false });
    const withDrills = vigilPolicy({ withDrills: true });
    const readOnlyActions = readOnly.Statement.flatMap((s) => s.Action);

    expect(readOnlyActions.filter((a) => drillActions().includes(a) && !a.startsWith('s3:GetReplication'))).toEqual([]);
    expect(readOnlyActions.every((a) => /:(Describe|Get|List|Lookup|Generate)/.test(a))).toBe(true);
    expect(withDrills.Statement.filter((s) => s.Action.some((a) => a.startsWith('rds:') && drillActions().includes(a))).map((s) => s.Condition)).toEqual([
      { StringEquals: { 'aws:RequestTag/vigil:managed-by': 'vigil' } },
      { StringEquals: { 'aws:ResourceTag/vigil:managed-by': 'vigil' } },
    ]);
  });
});
