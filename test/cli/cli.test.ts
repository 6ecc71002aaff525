import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

function configFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
  const file = join(dir, 'vigil.config.yaml');
  writeFileSync(file, text);
  return file;
}

describe('the vigil command', () => {
  it('lists the command groups that exist in --help', async () => {
    const { code, stdout } = await runCli(['--help']);

    expect(code).toBe(0);
    for (const group of ['config', 'accounts', 'sandbox', 'demo']) expect(stdout).toMatch(new RegExp(`^  ${group}\\b`, 'm'));
  });

  it('prints its version', async () => {
    const { code, stdout } = await runCli(['--version']);

    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each([
    [['bogus'], "unknown command 'bogus'"],
    [['config', 'check', '--bogus'], "unknown option '--bogus'"],
    [['sandbox', '--port', 'eighty'], 'expected a port number from 0 to 65535, got "eighty"'],
    [['config', 'check', '--output', 'xml'], "Allowed choices are yaml, json"],
  ])('exits 2 with a clear error for %j', async (args, message) => {
    const { code, stderr } = await runCli(args);

    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('exits 2 naming the file, line and field of every config problem', async () => {
    const file = configFile('version: 1\naccounts:\n  - id: "12"\n    name: prod\n    regions: [us-east-1]\n    colour: blue\n');

    const { code, stderr } = await runCli(['config', 'check', '--config', file]);

    expect(code).toBe(2);
    expect(stderr).toContain(`${file}:3: accounts[0].id: expected a 12-digit AWS account id`);
    expect(stderr).toContain(`${file}:6: accounts[0].colour: unknown field`);
  });

  it('reports a missing config file with how to name one', async () => {
    const { code, stderr } = await runCli(['config', 'check', '--config', '/nonexistent/vigil.config.yaml']);

    expect(code).toBe(2);
    expect(stderr).toContain('/nonexistent/vigil.config.yaml: no such file; pass --config FILE or set VIGIL_CONFIG');
  });

  it('prints the effective config as JSON with secrets masked', async () => {
    const file = configFile(
      'version: 1\naccounts:\n  - { id: "222222222222", name: prod, regions: [us-east-1] }\nintegrations:\n  slack: { token: xoxb-plain-secret-token, channel: "#ops" }\n',
    );

    const { code, stdout } = await runCli(['config', 'check', '--config', file, '--output', 'json']);
    const parsed = JSON.parse(stdout) as { valid: boolean; config: { integrations: { slack: { token: string } } } };

    expect(code).toBe(0);
    expect(parsed.valid).toBe(true);
    expect(parsed.config.integrations.slack.token).toBe('****');
    expect(stdout).not.toContain('xoxb-plain-secret-token');
  });
});
