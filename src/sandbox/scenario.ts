/**
 * The sandbox's world, described in YAML: accounts, regions and resources with ages relative to now.
 * Each emulator owns the schema of its own part; this file only composes them.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseYamlInput } from '../core/input.js';
import { ConfigError } from '../core/errors.js';
import { accountIdSchema, durationSchema, regionNameSchema } from './scenario-types.js';
import { faultRulesSchema } from './faults.js';
import { ec2RegionScenario } from './aws/ec2.js';
import { rdsRegionScenario } from './aws/rds.js';
import { s3RegionScenario } from './aws/s3.js';
import { guarddutyRegionScenario } from './aws/guardduty.js';
import { cloudtrailRegionScenario } from './aws/cloudtrail.js';
import { iamAccountScenario } from './aws/iam.js';
import { vaultScenario } from './vault.js';
import { slackScenario } from './slack.js';
import { pagerdutyScenario } from './pagerduty.js';
import { statuspageScenario } from './statuspage.js';
import { siteScenario } from './site.js';

export const DEFAULT_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'eu-west-1', 'eu-west-2', 'eu-central-1',
  'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'sa-east-1',
];

const accessKeySchema = z.strictObject({
  accessKeyId: z.string().regex(/^AKIA[A-Z0-9]{12,16}$/, 'expected an access key id such as AKIAIOSFODNN7EXAMPLE'),
  secretAccessKey: z.string().min(8),
  /** The IAM user the key belongs to; `root` for the account's root user. */
  user: z.string().default('vigil'),
  /** IAM actions this key is denied (`iam:GenerateCredentialReport`, `guardduty:*`): AccessDenied. */
  denyActions: z.array(z.string()).default([]),
});

const regionSchema = z.strictObject({
  ec2: ec2RegionScenario.optional(),
  rds: rdsRegionScenario.optional(),
  s3: s3RegionScenario.optional(),
  guardduty: guarddutyRegionScenario.optional(),
  cloudtrail: cloudtrailRegionScenario.optional(),
});
export type RegionScenario = z.output<typeof regionSchema>;

const accountSchema = z.strictObject({
  id: accountIdSchema,
  name: z.string().min(1),
  email: z.string().optional(),
  status: z.enum(['ACTIVE', 'SUSPENDED']).default('ACTIVE'),
  /** How long ago the account joined the organization. */
  joined: durationSchema.prefault('400d'),
  enabledRegions: z.array(regionNameSchema).default(DEFAULT_REGIONS),
  accessKeys: z.array(accessKeySchema).default([]),
  iam: iamAccountScenario.optional(),
  regions: z.record(regionNameSchema, regionSchema).default({}),
});
export type AccountScenario = z.output<typeof accountSchema>;

export const scenarioSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    organization: z
      .strictObject({
        id: z.string().regex(/^o-[a-z0-9]{10,32}$/, 'expected an organization id such as o-a1b2c3d4e5'),
        managementAccount: accountIdSchema,
        /** Organizational units, parents before children; accounts in none sit under the root. */
        units: z
          .array(
            z.strictObject({
              id: z.string().regex(/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/, 'expected an organizational unit id such as ou-ab12-cd34ef56'),
              name: z.string().min(1),
              /** The parent unit; the root when absent. */
              parent: z.string().optional(),
              accounts: z.array(accountIdSchema).default([]),
            }),
          )
          .default([]),
      })
      .optional(),
    accounts: z.array(accountSchema).min(1),
    vault: vaultScenario.optional(),
    slack: slackScenario.optional(),
    pagerduty: pagerdutyScenario.optional(),
    statuspage: statuspageScenario.optional(),
    /** The platform's public endpoints that probes fetch. */
    site: siteScenario.optional(),
    /** Fault rules active from the start; tests can replace them at /_sandbox/faults. */
    faults: faultRulesSchema.default([]),
  })
  // Runs even when other fields are wrong (every problem at once), so it reads the value defensively.
  .superRefine(
    (raw, ctx) => {
    const scenario = { accounts: Array.isArray(raw.accounts) ? raw.accounts.filter((a) => a && typeof a === 'object') : [], organization: raw.organization };
    const seen = new Map<string, number>();
    scenario.accounts.forEach((account, index) => {
      const first = seen.get(account.id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['accounts', index, 'id'], message: `duplicate account id (also accounts[${first}])` });
      seen.set(account.id, index);
    });
    const keys = new Set<string>();
    scenario.accounts.forEach((account, a) =>
      (Array.isArray(account.accessKeys) ? account.accessKeys : []).forEach((key, k) => {
        if (keys.has(key.accessKeyId)) ctx.addIssue({ code: 'custom', path: ['accounts', a, 'accessKeys', k, 'accessKeyId'], message: 'duplicate access key id' });
        keys.add(key.accessKeyId);
      }),
    );
    if (scenario.organization && !seen.has(scenario.organization.managementAccount)) {
      ctx.addIssue({ code: 'custom', path: ['organization', 'managementAccount'], message: 'not one of the accounts listed under accounts' });
    }
    const units = Array.isArray(scenario.organization?.units) ? scenario.organization.units : [];
    const unitIds = new Set<string>();
    const placed = new Set<string>();
    units.forEach((unit, u) => {
      if (unit.parent !== undefined && !unitIds.has(unit.parent)) ctx.addIssue({ code: 'custom', path: ['organization', 'units', u, 'parent'], message: 'not a unit listed before this one' });
      unitIds.add(unit.id);
      (Array.isArray(unit.accounts) ? unit.accounts : []).forEach((id, a) => {
        if (!seen.has(id)) ctx.addIssue({ code: 'custom', path: ['organization', 'units', u, 'accounts', a], message: 'not one of the accounts listed under accounts' });
        if (placed.has(id)) ctx.addIssue({ code: 'custom', path: ['organization', 'units', u, 'accounts', a], message: 'already in another unit: an account has one parent' });
        placed.add(id);
      });
    });
    },
    { when: () => true },
  );
export type Scenario = z.output<typeof scenarioSchema>;

export function parseScenario(text: string, file: string): Scenario {
  return parseYamlInput(text, file, scenarioSchema);
}

export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file, path: '', message: `cannot read the scenario file: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
  return parseScenario(text, file);
}

export const DEMO_SCENARIO_URL = new URL('../../src/sandbox/scenarios/demo.yaml', import.meta.url);
