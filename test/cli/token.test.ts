/** `vigil token` as a user runs it: the token printed once, only its hash stored, bad input exit 2. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DB_FILE } from '../../src/store/sqlite.js';
import { runCli } from '../helpers/cli.js';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-token-cli-'));
  writeFileSync(join(dir, 'vigil.config.yaml'), 'version: 1\naccounts:\n  - { id: "222222222222", name: production, regions: [us-east-1] }\n');
  env = { VIGIL_CONFIG: join(dir, 'vigil.config.yaml'), VIGIL_DATA_DIR: dir, VIGIL_ACTOR: 'alice' };
});

describe('vigil token', () => {
  it('creates, lists and revokes, recording who and why', async () => {
    const created = await runCli(['token', 'create', '--name', 'prometheus', '--role', 'auditor', '--reason', 'metrics scraping'], { env });
    const token = created.stdout.trim();
    const listed = await runCli(['token', 'list', '-o', 'json'], { env });
    const revoked = await runCli(['token', 'revoke', 'prometheus', '--reason', 'moved to a new scraper', '--actor', 'bob'], { env });
    const after = await runCli(['token', 'list'], { env });

    expect(created.code).toBe(0);
    expect(token).toMatch(/^vgl_[0-9A-Za-z]{43}$/);
    expect(created.stderr).toContain('shown only this once');
    expect(JSON.parse(listed.stdout)).toEqual([
      { id: expect.any(String), name: 'prometheus', role: 'auditor', createdAt: expect.any(String), createdBy: 'alice', reason: 'metrics scraping' },
    ]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/^token prometheus revoked at \S+ by bob$/m);
    expect(after.stdout).toContain('revoked');
    expect(after.stdout).toContain('moved to a new scraper');
    for (const output of [listed, revoked, after]) expect(output.stdout + output.stderr).not.toContain(token.slice(4));
    for (const file of [DB_FILE, `${DB_FILE}-wal`].filter((f) => existsSync(join(dir, f)))) expect(readFileSync(join(dir, file)).includes(token.slice(4))).toBe(false);
  });

  it('refuses bad input with exit 2, naming every flag at fault', async () => {
    const bad = await runCli(['token', 'create', '--role', 'boss'], { env });
    const duplicate = await runCli(['token', 'create', '--name', 'prometheus', '--role', 'ops', '--reason', 'again'], { env });
    const unknown = await runCli(['token', 'revoke', 'nobody', '--reason', 'x'], { env });

    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('argument --reason');
    expect(bad.stderr).toContain('argument --name');
    expect(bad.stderr).toContain('argument --role: expected one of oncall, ops, auditor, admin, got "boss"');
    expect([duplicate.code, unknown.code]).toEqual([2, 2]);
    expect(duplicate.stderr).toContain('argument --name: a token named prometheus already exists');
    expect(unknown.stderr).toContain('no token named nobody');
  });
});
