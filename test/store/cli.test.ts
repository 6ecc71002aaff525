/**
 * `store: { postgres: { url } }` as a user configures it: the records go to that database (the URL read
 * from Vault), and a URL that cannot be used stops the command with exit 2 at the config line, never
 * printing the password.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { skipWithoutPostgres, startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { BASIC_SCENARIO, startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const ACCOUNTS = 'version: 1\naccounts:\n  - { id: "222222222222", name: production, regions: [us-east-1] }\n';

/** A config whose `url` is on line 6. */
function workspace(url: string): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-store-cli-'));
  writeFileSync(join(dir, 'vigil.config.yaml'), `${ACCOUNTS}store:\n  postgres:\n    url: ${url}\n`);
  return { dir, env: { VIGIL_CONFIG: join(dir, 'vigil.config.yaml'), VIGIL_DATA_DIR: dir, VIGIL_ACTOR: 'alice' } };
}

describe.skipIf(skipWithoutPostgres)('vigil on a PostgreSQL store', () => {
  let server: TestPostgres;
  let sandbox: TestSandbox;
  let url: string;

  beforeAll(async () => {
    server = await startTestPostgres();
    url = await server.newDatabase();
    const vault = `
vault:
  tokens:
    - { token: hvs.test-vigil, displayName: token-vigil, policies: [vigil], paths: ["secret/*"] }
  kv:
    secret:
      vigil:
        store_url: ${JSON.stringify(url)}
`;
    sandbox = await startTestSandbox(`${BASIC_SCENARIO}${vault}`);
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  it('keeps its records in the database a Vault reference names, showing the reference, not the URL', async () => {
    const { dir, env } = workspace('vault:secret/data/vigil#store_url');
    const vaultEnv = { ...env, VAULT_ADDR: sandbox.info.vaultAddr, VAULT_TOKEN: 'hvs.test-vigil' };

    const created = await runCli(['token', 'create', '--name', 'prometheus', '--role', 'auditor', '--reason', 'metrics scraping'], { env: vaultEnv });
    const listed = await runCli(['token', 'list', '-o', 'json'], { env: vaultEnv });
    const shown = await runCli(['config', 'check', '-o', 'json'], { env: vaultEnv });
    const stored = await readTokens(url);

    expect(created.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ name: 'prometheus', role: 'auditor', createdBy: 'alice' })]);
    expect(shown.stdout).toContain('vault:secret/data/vigil#store_url (resolved at run time)');
    expect(stored).toEqual(['prometheus']);
    expect(existsSync(join(dir, 'vigil.db'))).toBe(false);
    for (const output of [created, listed, shown]) expect(output.stdout + output.stderr).not.toContain(server.password);
  });

  it('stops with exit 2 at store.postgres.url when the server is unreachable, the password wrong or the schema newer', async () => {
    const wrong = 'wrong-password-31337';
    const future = await server.newDatabase();
    await withClient(future, (c) => c.query("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL); INSERT INTO schema_migrations VALUES (99, 'from the future', '2030-01-01')"));
    const cases = [workspace(`postgres://vigil:${wrong}@127.0.0.1:1/vigil`), workspace(server.urlOf('postgres', wrong)), workspace(future)];

    const [unreachable, refused, newer] = await Promise.all(cases.map(({ env }) => runCli(['token', 'list'], { env })));
    const shown = await runCli(['config', 'check', '-o', 'json'], { env: cases[1]?.env });

    expect([unreachable?.code, refused?.code, newer?.code]).toEqual([2, 2, 2]);
    expect(unreachable?.stderr).toContain('vigil.config.yaml:6: store.postgres.url: cannot connect to PostgreSQL at 127.0.0.1:1/vigil: connection refused');
    expect(refused?.stderr).toContain(`vigil.config.yaml:6: store.postgres.url: PostgreSQL at 127.0.0.1:${server.port}/postgres refused the login: password authentication failed`);
    expect(newer?.stderr).toContain('store.postgres.url: the database at');
    expect(newer?.stderr).toContain('is at schema version 99, newer than this Vigil knows');
    expect(shown.stdout).toContain(`postgres://vigil:****@127.0.0.1:${server.port}/postgres`);
    for (const output of [unreachable, refused, newer, shown]) expect(`${output?.stdout}${output?.stderr}`).not.toContain(wrong);
  });
});

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function readTokens(url: string): Promise<string[]> {
  return withClient(url, async (c) => (await c.query<{ name: string }>('SELECT name FROM api_tokens ORDER BY name')).rows.map((r) => r.name));
}
