/**
 * `vigil evidence` as a user runs it: real commands write the ledger, verify names the entry that was
 * tampered with (exit 1), checkpoints are signed with a key from a file or from Vault (over the real
 * Vault API, against the sandbox), and bad input exits 2.
 */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { generateSigningKeyPair } from '../../src/evidence/signing.js';
import { openManually, act } from '../../src/incidents/service.js';
import { createToken } from '../../src/service/tokens.js';
import { DB_FILE, SqliteStore } from '../../src/store/sqlite.js';
import { pipeline } from '../incidents/pipeline-helpers.js';
import { runCli } from '../helpers/cli.js';
import { BASIC_SCENARIO, startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const ACCOUNTS = 'version: 1\naccounts:\n  - { id: "222222222222", name: production, regions: [us-east-1] }\n';

function workspace(evidence = ''): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-evidence-cli-'));
  writeFileSync(join(dir, 'vigil.config.yaml'), `${ACCOUNTS}${evidence}`);
  return { dir, env: { VIGIL_CONFIG: join(dir, 'vigil.config.yaml'), VIGIL_DATA_DIR: dir, VIGIL_ACTOR: 'alice' } };
}

/** The records a person makes with real commands: a token, an incident opened and resolved. */
async function record(env: NodeJS.ProcessEnv): Promise<void> {
  for (const args of [
    ['token', 'create', '--name', 'prometheus', '--role', 'auditor', '--reason', 'metrics scraping'],
    ['incident', 'open', '--title', 'API errors', '--components', 'api', '--severity', 'sev2', '--reason', 'customers see 500s'],
    ['incident', 'resolve', 'INC-1', '--reason', 'rolled back'],
  ]) {
    const result = await runCli(args, { env });
    if (result.code !== 0) throw new Error(`vigil ${args.join(' ')} failed: ${result.stderr}`);
  }
}

const SEEDED_AT = '2026-01-15T10:00:00.000Z';

/** The same records written in-process (each CLI run costs a process start), when the command under test is another. */
async function seed(dir: string): Promise<void> {
  const clock = new ManualClock(SEEDED_AT);
  const store = SqliteStore.open(dir);
  await createToken(store.tokens, { name: 'prometheus', role: 'auditor' }, { actor: 'alice', reason: 'metrics scraping', clock });
  await store.close();
  const { deps, store: incidents } = pipeline({ dataDir: dir, now: clock.now().toISOString() });
  deps.channels = [];
  await openManually(deps, { title: 'API errors', components: ['api'], severity: 'sev2', actor: 'alice', reason: 'customers see 500s' });
  await act(deps, 'INC-1', { action: 'resolve' }, { actor: 'alice', reason: 'rolled back' });
  await incidents.close();
}

function keyPair(dir: string): { privateFile: string; publicFile: string; privatePem: string } {
  const pair = generateSigningKeyPair();
  const privateFile = join(dir, `key-${pair.fingerprint.slice(0, 8)}.pem`);
  const publicFile = join(dir, `key-${pair.fingerprint.slice(0, 8)}.pub.pem`);
  writeFileSync(privateFile, pair.privatePem, { mode: 0o600 });
  writeFileSync(publicFile, pair.publicPem);
  return { privateFile, publicFile, privatePem: pair.privatePem };
}

describe('vigil evidence verify and log', () => {
  it('lists what real commands recorded and verifies the chain (exit 0)', async () => {
    const { env } = workspace();
    await record(env);

    const log = await runCli(['evidence', 'log', '-o', 'json'], { env });
    const verify = await runCli(['evidence', 'verify'], { env });

    expect(log.code).toBe(0);
    expect((JSON.parse(log.stdout) as Array<{ seq: number; kind: string; actor: string; subject: string }>).map((e) => [e.seq, e.kind, e.actor, e.subject])).toEqual([
      [1, 'token-change', 'alice', 'token:prometheus'],
      [2, 'incident-change', 'alice', 'INC-1'],
      [3, 'incident-change', 'alice', 'INC-1'],
    ]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^ledger verified: entries 1-3 \(3 entries\), head [0-9a-f]{64}$/m);
  });

  it('names the altered entry with exit 1, as text and as JSON', async () => {
    const { dir, env } = workspace();
    await seed(dir);
    const db = new Database(join(dir, DB_FILE));
    db.prepare("UPDATE ledger SET data = replace(data, 'customers see 500s', 'nothing happened') WHERE seq = 2").run();
    db.close();

    const text = await runCli(['evidence', 'verify'], { env });
    const json = await runCli(['evidence', 'verify', '-o', 'json'], { env });

    expect(text.code).toBe(1);
    expect(text.stdout).toContain('ledger broken at entry 2 (altered): entry 2 (incident-change INC-1) does not match its hash');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, entries: 1, break: { seq: 2, kind: 'altered' } });
  });

  it('verifies only the entries recorded in a period, which may be empty', async () => {
    const { dir, env } = workspace();
    await seed(dir);
    const period = await runCli(['evidence', 'verify', '--from', '2026-01-15', '--to', '2026-01-15', '-o', 'json'], { env });
    const empty = await runCli(['evidence', 'verify', '--from', '2020-01-01', '--to', '2020-01-31'], { env });

    expect(JSON.parse(period.stdout)).toMatchObject({ ok: true, from: 1, to: 3, entries: 3 });
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe('no ledger entries between 2020-01-01T00:00:00.000Z and 2020-02-01T00:00:00.000Z\n');
  });

  it('refuses bad input with exit 2, naming every flag at fault', async () => {
    const { env } = workspace();

    const dates = await runCli(['evidence', 'verify', '--from', 'yesterday', '--to', '2026-13-01'], { env });
    const inverted = await runCli(['evidence', 'verify', '--from', '2026-03-01', '--to', '2026-02-01'], { env });
    const anchor = await runCli(['evidence', 'verify', '--anchor', '12:abc'], { env });
    const kind = await runCli(['evidence', 'log', '--kind', 'gossip'], { env });
    const unsigned = await runCli(['evidence', 'checkpoint'], { env });
    const keyless = await runCli(['evidence', 'checkpoint', '--reason', 'quarter end'], { env });

    expect([dates.code, inverted.code, anchor.code, kind.code, unsigned.code, keyless.code]).toEqual([2, 2, 2, 2, 2, 2]);
    expect(dates.stderr).toContain('argument --from: expected a date');
    expect(dates.stderr).toContain('argument --to: expected a date');
    expect(inverted.stderr).toContain('argument --to: the period ends (2026-02-02T00:00:00.000Z) before it starts (2026-03-01T00:00:00.000Z)');
    expect(anchor.stderr).toContain('expected SEQ:HASH');
    expect(kind.stderr).toContain('argument --kind: unknown kind "gossip"');
    expect(unsigned.stderr).toContain('argument --reason: say why');
    expect(keyless.stderr).toContain('evidence.signingKey: no signing key is configured');
  });
});

describe('vigil evidence keygen and checkpoint', () => {
  it('writes a key pair (private key mode 0600), signs a checkpoint with it, and verify checks the signature', async () => {
    const { dir, env } = workspace('evidence:\n  signingKey: keys/ledger-signing-key.pem\n  keyId: ledger-2026\n  trustedKeys: [keys/ledger-signing-key.pub.pem]\n');
    await seed(dir);

    const keygen = await runCli(['evidence', 'keygen', '--out', join(dir, 'keys')], { env });
    const again = await runCli(['evidence', 'keygen', '--out', join(dir, 'keys')], { env });
    const checkpoint = await runCli(['evidence', 'checkpoint', '--reason', 'quarter end', '-o', 'json'], { env });
    const verify = await runCli(['evidence', 'verify'], { env });

    expect(keygen.code).toBe(0);
    expect(statSync(join(dir, 'keys', 'ledger-signing-key.pem')).mode & 0o777).toBe(0o600);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    expect(checkpoint.code).toBe(0);
    expect(JSON.parse(checkpoint.stdout)).toMatchObject({ seq: 4, kind: 'checkpoint', actor: 'alice', data: { seq: 3, keyId: 'ledger-2026', algorithm: 'ed25519', reason: 'quarter end' } });
    expect(checkpoint.stdout + checkpoint.stderr).not.toContain('PRIVATE KEY');
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('checkpoints: 1 checked, 1 signed by a trusted key');
  });

  it('fails verify (exit 1) when a checkpoint is signed by a key the config does not trust', async () => {
    const { dir, env } = workspace();
    const ours = keyPair(dir);
    const theirs = keyPair(dir);
    await seed(dir);
    writeFileSync(join(dir, 'vigil.config.yaml'), `${ACCOUNTS}evidence:\n  signingKey: ${theirs.privateFile}\n`);
    await runCli(['evidence', 'checkpoint', '--reason', 'quarter end'], { env });
    writeFileSync(join(dir, 'vigil.config.yaml'), `${ACCOUNTS}evidence:\n  trustedKeys: [${ours.publicFile}]\n`);

    const verify = await runCli(['evidence', 'verify'], { env });

    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/ledger broken at entry 4 \(signature\): checkpoint 4 is signed by key ed25519:[0-9a-f]{16} .*not trusted/);
  });
});

describe('a signing key held in Vault', () => {
  let sandbox: TestSandbox;
  let pem: string;
  let publicFile: string;

  beforeAll(async () => {
    const keys = keyPair(mkdtempSync(join(tmpdir(), 'vigil-evidence-keys-')));
    pem = keys.privatePem;
    publicFile = keys.publicFile;
    const vault = `
vault:
  tokens:
    - { token: hvs.test-vigil, displayName: token-vigil, policies: [vigil], paths: ["secret/*"] }
  kv:
    secret:
      vigil:
        ledger_signing_key: ${JSON.stringify(pem)}
`;
    sandbox = await startTestSandbox(`${BASIC_SCENARIO}${vault}`);
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  it('signs with the key read from Vault, never printing it', async () => {
    const { dir, env } = workspace(`evidence:\n  signingKey: vault:secret/data/vigil#ledger_signing_key\n  trustedKeys: [${publicFile}]\n`);
    const vaultEnv = { ...env, VAULT_ADDR: sandbox.info.vaultAddr, VAULT_TOKEN: 'hvs.test-vigil' };
    await seed(dir);

    const checkpoint = await runCli(['evidence', 'checkpoint', '--reason', 'month end'], { env: vaultEnv });
    const verify = await runCli(['evidence', 'verify', '-o', 'json'], { env: vaultEnv });
    const shown = await runCli(['config', 'check', '-o', 'json'], { env: vaultEnv });

    expect(checkpoint.code).toBe(0);
    expect(checkpoint.stdout).toMatch(/^checkpoint 4 signs entry 3 \(hash [0-9a-f]{64}\) with key ed25519:[0-9a-f]{16}/);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, entries: 4, checkpoints: { checked: 1, signed: 1 } });
    expect(shown.stdout).toContain('vault:secret/data/vigil#ledger_signing_key (resolved at run time)');
    for (const output of [checkpoint, verify, shown]) expect(output.stdout + output.stderr).not.toContain(pem.split('\n')[1]);
  });
});
