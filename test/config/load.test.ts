import { describe, expect, it } from 'vitest';
import { displayConfig, parseConfig, resolveSecrets } from '../../src/config/load.js';
import { ConfigError, ExternalServiceError } from '../../src/core/errors.js';
import { redact } from '../../src/core/redact.js';
import type { SecretReader } from '../../src/core/ports.js';

const VALID = `version: 1
accounts:
  - id: "222222222222"
    name: production
    roleArn: arn:aws:iam::222222222222:role/VigilAudit
    externalId: vigil-demo
    regions: [us-east-1, us-west-2]
    drRegion: us-west-2
scope:
  include:
    - env: production
integrations:
  slack:
    token: vault:secret/data/vigil#slack_token
    channel: "#incidents"
  statuspage:
    apiKey: plain-text-statuspage-key
    pageId: cc-status
`;

function problemsOf(text: string): Array<{ line?: number; path: string; message: string }> {
  try {
    parseConfig(text, 'vigil.config.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map(({ line, path, message }) => ({ line, path, message }));
    throw err;
  }
  return [];
}

class FakeVault implements SecretReader {
  constructor(private readonly secrets: Record<string, string>, private readonly fail?: ExternalServiceError) {}

  async readSecret(path: string, key: string): Promise<string> {
    if (this.fail) throw this.fail;
    const value = this.secrets[`${path}#${key}`];
    if (value === undefined) throw new ExternalServiceError(`Vault secret ${path} has no string key "${key}"`, { kind: 'not_found', service: 'vault' });
    return value;
  }
}

describe('config loading', () => {
  it('accepts a valid config and applies defaults', () => {
    const loaded = parseConfig(VALID, 'vigil.config.yaml');

    expect(loaded.config.aws).toEqual({ defaultRegion: 'us-east-1', connectTimeoutMs: 3000, requestTimeoutMs: 20000, maxAttempts: 5, roleSessionName: 'vigil' });
    expect(loaded.config.scope).toEqual({ include: [{ env: 'production' }], exclude: [] });
    expect(loaded.references).toEqual([{ path: ['integrations', 'slack', 'token'], ref: 'vault:secret/data/vigil#slack_token' }]);
  });

  it('reports every problem at once with line and field path', () => {
    const text = `version: 1
accounts:
  - id: "12345"
    nme: production
    regions: [us-east-1]
    drRegion: eu-west-1
scope:
  filter:
    - env: production
integrations:
  slack:
    token: vault:secret/data/vigil
`;

    const problems = problemsOf(text);

    expect(problems).toEqual([
      { line: 3, path: 'accounts[0].id', message: 'expected a 12-digit AWS account id' },
      { line: 3, path: 'accounts[0].name', message: 'required field is missing (expected string)' },
      { line: 4, path: 'accounts[0].nme', message: 'unknown field; did you mean "name"?' },
      { line: 6, path: 'accounts[0].drRegion', message: "the DR region must be one of the account's regions (us-east-1)" },
      { line: 8, path: 'scope.filter', message: 'unknown field; expected one of: include, exclude' },
      { line: 11, path: 'integrations.slack.channel', message: 'required field is missing (expected string)' },
      { line: 12, path: 'integrations.slack.token', message: 'a Vault reference must look like vault:secret/data/vigil#slack_token' },
    ]);
  });

  it('names the line of a YAML syntax error', () => {
    const problems = problemsOf('version: 1\naccounts: [\n  x: y: z\n');

    expect(problems[0]).toMatchObject({ line: 3, path: '', message: expect.stringContaining('not valid YAML: Block collections are not allowed') });
  });

  it('rejects a duplicate account and a role in another account', () => {
    const text = `version: 1
accounts:
  - { id: "222222222222", name: a, regions: [us-east-1] }
  - { id: "222222222222", name: b, regions: [us-east-1], roleArn: "arn:aws:iam::333333333333:role/X" }
`;

    const problems = problemsOf(text);

    expect(problems.map((p) => p.path)).toEqual(['accounts[1].id', 'accounts[1].roleArn']);
  });

  it('resolves Vault references and keeps the resolved secret out of every output', async () => {
    const loaded = parseConfig(VALID, 'vigil.config.yaml');

    const config = await resolveSecrets(loaded, new FakeVault({ 'secret/data/vigil#slack_token': 'xoxb-resolved-secret-value' }));
    const shown = JSON.stringify(displayConfig(loaded));

    expect(config.integrations.slack?.token).toBe('xoxb-resolved-secret-value');
    expect(shown).toContain('vault:secret/data/vigil#slack_token (resolved at run time)');
    expect(shown).not.toContain('xoxb-resolved-secret-value');
    expect(shown).not.toContain('plain-text-statuspage-key');
    expect(redact('token=xoxb-resolved-secret-value and key plain-text-statuspage-key')).toBe('token=**** and key ****');
  });

  it('reports each reference Vault cannot resolve, by field and line', async () => {
    const loaded = parseConfig(VALID, 'vigil.config.yaml');
    const denied = new ExternalServiceError('Vault denied access (permission denied)', { kind: 'access_denied', service: 'vault' });

    const error = await resolveSecrets(loaded, new FakeVault({}, denied)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      {
        file: 'vigil.config.yaml',
        line: 14,
        path: 'integrations.slack.token',
        message: 'cannot resolve vault:secret/data/vigil#slack_token: Vault denied access (permission denied)',
      },
    ]);
  });

  it('reports references that cannot be resolved without Vault', async () => {
    const loaded = parseConfig(VALID, 'vigil.config.yaml');

    const error = (await resolveSecrets(loaded, undefined).catch((e: unknown) => e)) as ConfigError;

    expect(error.problems[0]?.message).toContain('no Vault configured (set VAULT_ADDR and VAULT_TOKEN');
  });
});
