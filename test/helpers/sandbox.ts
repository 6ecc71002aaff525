/** Starts a sandbox on free ports for one test file, and builds real SDK client configs pointed at it. */
import { fileURLToPath } from 'node:url';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { DEMO_SCENARIO_URL, loadScenario, parseScenario, type RegionScenario, type Scenario } from '../../src/sandbox/scenario.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';

export const TEST_KEY = { accessKeyId: 'AKIATESTMANAGEMENT01', secretAccessKey: 'test-secret-management' } as const;

export interface TestSandbox extends Sandbox {
  /** Config for any @aws-sdk/client-* constructor. */
  aws(region?: string, credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    forcePathStyle: boolean;
    maxAttempts: number;
  };
  /** GET a JSON view under /_sandbox/. */
  inspect<T = unknown>(view: string): Promise<T>;
  setFaults(rules: unknown[], seed?: number): Promise<void>;
}

export async function startTestSandbox(scenario: string | Scenario, options: Partial<SandboxOptions> = {}): Promise<TestSandbox> {
  const parsed = typeof scenario === 'string' ? parseScenario(scenario, 'test-scenario.yaml') : scenario;
  const sandbox = await startSandbox({ scenario: parsed, port: 0, tlsPort: 0, ...options });
  const base = sandbox.info.awsEndpoint;
  return Object.assign(sandbox, {
    aws: (region = 'us-east-1', credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = { ...TEST_KEY }) => ({
      endpoint: base,
      region,
      credentials,
      forcePathStyle: true,
      maxAttempts: 3,
    }),
    inspect: async <T>(view: string): Promise<T> => {
      const res = await fetch(`${base}/_sandbox/${view}`);
      return (await res.json()) as T;
    },
    setFaults: async (rules: unknown[], seed?: number) => {
      const res = await fetch(`${base}/_sandbox/faults`, { method: 'PUT', body: JSON.stringify({ rules, seed }) });
      if (!res.ok) throw new Error(`setFaults failed: ${res.status} ${await res.text()}`);
    },
  });
}

/**
 * Points this test process's AWS SDK at the sandbox the way a user would: the standard endpoint
 * override and credential variables. Returns a function that restores the previous environment.
 */
export function useSandboxEnv(sandbox: Sandbox, key: { accessKeyId: string; secretAccessKey: string } = TEST_KEY): () => void {
  const names = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE'] as const;
  const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
  process.env['AWS_ENDPOINT_URL'] = sandbox.info.awsEndpoint;
  process.env['AWS_ACCESS_KEY_ID'] = key.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] = key.secretAccessKey;
  delete process.env['AWS_PROFILE'];
  return () => {
    for (const n of names) {
      if (saved[n] === undefined) delete process.env[n];
      else process.env[n] = saved[n];
    }
  };
}

/** A small two-account organization most tests can start from. */
export const BASIC_SCENARIO = `
name: basic
organization:
  id: o-test0000001
  managementAccount: "111111111111"
accounts:
  - id: "111111111111"
    name: management
    accessKeys:
      - accessKeyId: ${TEST_KEY.accessKeyId}
        secretAccessKey: ${TEST_KEY.secretAccessKey}
        user: vigil
    iam:
      roles:
        - name: VigilAudit
          trustedAccounts: ["111111111111"]
  - id: "222222222222"
    name: production
    iam:
      roles:
        - name: VigilAudit
          trustedAccounts: ["111111111111"]
          externalId: vigil-external
        - name: Restricted
          trustedAccounts: ["111111111111"]
          denyActions: ["sts:GetCallerIdentity"]
  - id: "333333333333"
    name: suspended
    status: SUSPENDED
    iam:
      roles:
        - name: VigilAudit
          trustedAccounts: ["111111111111"]
`;

/** The key the demo scenario gives Vigil (a user in the management account). */
export const DEMO_KEY = { accessKeyId: 'AKIAVIGILDEMO0000001', secretAccessKey: 'sandbox-demo-secret-key' } as const;

/**
 * The demo scenario with only some emulators' regional sections (and no Vault, Slack, PagerDuty or
 * Statuspage), so a test of one emulator is not slowed or broken by the others.
 */
export function demoScenarioWith(parts: Array<keyof RegionScenario>): Scenario {
  const full = loadScenario(fileURLToPath(DEMO_SCENARIO_URL));
  const accounts = full.accounts.map((a) => ({
    ...a,
    regions: Object.fromEntries(Object.entries(a.regions).map(([region, r]) => [region, Object.fromEntries(parts.map((p) => [p, r[p]]))])),
  }));
  return { ...full, accounts, vault: undefined, slack: undefined, pagerduty: undefined, statuspage: undefined };
}

/** Credentials of a VigilAudit session in a demo account, as the demo's Vigil would assume it. */
export async function demoRoleCredentials(sandbox: TestSandbox, accountId: string): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }> {
  const sts = new STSClient(sandbox.aws('us-east-1', { ...DEMO_KEY }));
  const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/VigilAudit`, RoleSessionName: 'vigil', ExternalId: 'vigil-demo' }));
  return { accessKeyId: c?.AccessKeyId as string, secretAccessKey: c?.SecretAccessKey as string, sessionToken: c?.SessionToken as string };
}
