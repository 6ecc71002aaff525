/**
 * The config for many accounts and pacing: `organization` discovery, `aws.rateLimits`,
 * `aws.maxInFlight` and `aws.scopeTimeoutMs`, strict like the rest, every problem at once.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';

function problemsOf(text: string): Array<{ line?: number; path: string; message: string }> {
  try {
    parseConfig(text, 'vigil.config.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map(({ line, path, message }) => ({ line, path, message }));
    throw err;
  }
  return [];
}

describe('organization discovery in the config', () => {
  it('accepts discovery alone, with defaults for the role and exclude list', () => {
    const { config } = parseConfig('version: 1\norganization:\n  discover: true\n  regions: enabled\n', 'vigil.config.yaml');

    expect(config.accounts).toEqual([]);
    expect(config.organization).toEqual({ discover: true, roleName: 'VigilAudit', exclude: [], regions: 'enabled' });
  });

  it('accepts listed accounts alongside discovery', () => {
    const text = `version: 1
accounts:
  - { id: "222222222222", name: production, regions: [us-east-1] }
organization:
  discover: true
  externalId: vault:secret/data/vigil#external_id
  include: ["222222222222", "333333333333"]
  exclude: ["444444444444"]
  regions: [us-east-1, us-west-2]
  drRegion: us-west-2
`;

    const { config, references } = parseConfig(text, 'vigil.config.yaml');

    expect(config.organization).toMatchObject({ include: ['222222222222', '333333333333'], regions: ['us-east-1', 'us-west-2'], drRegion: 'us-west-2' });
    expect(references).toEqual([{ path: ['organization', 'externalId'], ref: 'vault:secret/data/vigil#external_id' }]);
  });

  it('reports every problem at once: no accounts at all, unknown fields, bad ids, a DR region outside the regions', () => {
    const text = `version: 1
organization:
  discover: true
  roleNme: VigilAudit
  include: ["12345"]
  regions: [us-east-1]
  drRegion: eu-west-1
`;

    expect(problemsOf(text)).toEqual([
      { line: 4, path: 'organization.roleNme', message: 'unknown field; did you mean "roleName"?' },
      { line: 5, path: 'organization.include[0]', message: 'expected a 12-digit account id, an organizational unit id such as ou-ab12-cd34ef56, or a root id such as r-ab12' },
      { line: 7, path: 'organization.drRegion', message: 'the DR region must be one of the regions (us-east-1)' },
    ]);
    expect(problemsOf('version: 1\n')).toEqual([{ line: 1, path: 'accounts', message: 'list at least one account, or discover them with organization' }]);
  });

  it('wants regions spelled out, or `enabled`', () => {
    const problems = problemsOf('version: 1\norganization:\n  discover: true\n  regions: all\n');

    expect(problems.map((p) => p.path)).toEqual(['organization.regions']);
  });
});

describe('pacing in the config', () => {
  it('accepts overrides of the published rate limits, the in-flight cap and the unit deadline', () => {
    const text = `version: 1
aws:
  maxInFlight: 32
  scopeTimeoutMs: 600000
  rateLimits:
    ec2: { ratePerSecond: 10, burst: 50 }
    "cloudtrail:LookupEvents": { ratePerSecond: 1.5, burst: 1 }
accounts:
  - { id: "222222222222", name: production, regions: [us-east-1] }
`;

    const { config } = parseConfig(text, 'vigil.config.yaml');

    expect(config.aws).toMatchObject({ maxInFlight: 32, scopeTimeoutMs: 600_000, rateLimits: { ec2: { ratePerSecond: 10, burst: 50 }, 'cloudtrail:LookupEvents': { ratePerSecond: 1.5, burst: 1 } } });
  });

  it('refuses a limit it does not know, and a malformed one, naming the field', () => {
    const text = `version: 1
aws:
  maxInFlight: 0
  rateLimits:
    ec3: { ratePerSecond: 10, burst: 50 }
    rds: { ratePerSecond: 0, bursts: 5 }
accounts:
  - { id: "222222222222", name: production, regions: [us-east-1] }
`;

    expect(problemsOf(text)).toEqual([
      { line: 3, path: 'aws.maxInFlight', message: 'Too small: expected number to be >=1' },
      { line: 5, path: 'aws.rateLimits.ec3', message: 'unknown field; did you mean "ec2"?' },
      { line: 6, path: 'aws.rateLimits.rds.ratePerSecond', message: 'Too small: expected number to be >0' },
      { line: 6, path: 'aws.rateLimits.rds.burst', message: 'required field is missing (expected number)' },
      { line: 6, path: 'aws.rateLimits.rds.bursts', message: 'unknown field; did you mean "burst"?' },
    ]);
  });
});
