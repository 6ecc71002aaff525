/**
 * `vigil attest`, `vigil waive` and `vigil report` as a user runs them: records land in the store and
 * the ledger, bad input exits 2 and writes nothing, a bundle verifies until a file changes, and a
 * tampered ledger makes `report` refuse unless told otherwise.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import type { EvidenceReport } from '../../src/evidence/report-model.js';
import { DB_FILE, SqliteStore } from '../../src/store/sqlite.js';
import { runCli } from '../helpers/cli.js';
import { seedCheckRun, seedDrill } from '../evidence/seed.js';

let dir: string;
let env: NodeJS.ProcessEnv;

const CONFIG = `version: 1
accounts:
  - { id: "111111111111", name: production, regions: [us-east-1] }
evidence:
  applicability:
    - control: A.7.1
      applicable: false
      justification: No offices; AWS data centres only.
`;

/** The real program, in this process: the same commands and error boundary, without a process per case. */
async function vigil(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { out: (t) => (stdout += `${t}\n`), err: (t) => (stderr += `${t}\n`), interactive: false };
  const code = await run(args, io, { ...env, ...extraEnv });
  return { code, stdout, stderr };
}

function inDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

async function records(): Promise<{ attestations: number; waivers: number; ledger: number }> {
  const store = SqliteStore.open(dir);
  try {
    return {
      attestations: (await store.evidence.listAttestations()).length,
      waivers: (await store.evidence.listWaivers()).length,
      ledger: (await store.ledger.head())?.seq ?? 0,
    };
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-report-cli-'));
  writeFileSync(join(dir, 'vigil.config.yaml'), CONFIG);
  env = { VIGIL_CONFIG: join(dir, 'vigil.config.yaml'), VIGIL_DATA_DIR: dir, VIGIL_ACTOR: 'alice' };
  const store = SqliteStore.open(dir);
  await seedCheckRun(store, 'run-1', '2025-03-05T04:30:00.000Z', [
    { checkId: 'guardduty-enabled', status: 'pass' },
    { checkId: 'rds-multi-az', status: 'fail' },
  ]);
  await seedDrill(store, { id: 'd1', target: 'lms-prod', at: '2025-03-02T05:00:00.000Z', status: 'succeeded', rtoSeconds: 600, rpoSeconds: 3600 });
  await store.close();
});

describe('vigil attest and vigil waive', () => {
  it('records an attestation with the file\'s hash, name and size, and its ledger entry', async () => {
    const file = join(dir, 'policy.pdf');
    writeFileSync(file, 'the information security policy, v3');

    const attested = await vigil(['attest', '--control', 'A.5.1', '--file', file, '--owner', 'CISO', '--reason', 'Policy set approved by the board', '-o', 'json']);
    const listed = await vigil(['attest', 'list', '-o', 'json']);
    const store = SqliteStore.open(dir);
    const entries = await store.ledger.entries({ kinds: ['attestation'] });
    await store.close();

    expect(attested.code).toBe(0);
    const record = JSON.parse(attested.stdout) as Record<string, unknown>;
    expect(record).toEqual({
      id: 'ATT-1',
      control: 'A.5.1',
      owner: 'CISO',
      reason: 'Policy set approved by the board',
      file: { name: 'policy.pdf', sha256: createHash('sha256').update('the information security policy, v3').digest('hex'), bytes: 35 },
      at: expect.any(String),
      actor: 'alice',
    });
    expect(JSON.parse(listed.stdout)).toEqual([record]);
    expect(entries.map((e) => [e.kind, e.subject, e.actor, e.data['control']])).toEqual([['attestation', 'ATT-1', 'alice', 'A.5.1']]);
  });

  it('grants, lists and revokes a waiver, each in the ledger', async () => {
    const granted = await vigil(['waive', '--check', 'rds-multi-az', '--resource', '*', '--until', inDays(30), '--reason', 'replica being rebuilt', '-o', 'json']);
    const inForce = await vigil(['waive', 'list', '-o', 'json']);
    const revoked = await vigil(['waive', 'revoke', 'wvr-1', '--reason', 'replica is back', '--actor', 'bob']);
    const afterwards = await vigil(['waive', 'list']);
    const all = await vigil(['waive', 'list', '--all', '-o', 'json']);
    const store = SqliteStore.open(dir);
    const entries = await store.ledger.entries({ kinds: ['waiver'] });
    await store.close();

    expect(granted.code).toBe(0);
    expect(JSON.parse(granted.stdout)).toMatchObject({ id: 'WVR-1', checkId: 'rds-multi-az', resource: '*', until: `${inDays(31)}T00:00:00.000Z`, actor: 'alice' });
    expect((JSON.parse(inForce.stdout) as unknown[]).length).toBe(1);
    expect(revoked.stdout).toMatch(/^WVR-1 revoked at \S+ by bob$/m);
    expect(afterwards.stdout.trim()).toBe('no waivers in force');
    expect(JSON.parse(all.stdout)).toEqual([expect.objectContaining({ id: 'WVR-1', revokedBy: 'bob', revokeReason: 'replica is back' })]);
    expect(entries.map((e) => [e.subject, e.actor, e.data['action']])).toEqual([
      ['WVR-1', 'alice', 'granted'],
      ['WVR-1', 'bob', 'revoked'],
    ]);
  });
});

describe('bad input', () => {
  it('exits 2, names every problem, and writes nothing', async () => {
    const before = await records();
    const empty = mkdtempSync(join(tmpdir(), 'vigil-not-a-bundle-'));
    const cases: Array<[string[], string[]]> = [
      [['report', 'iso27001', '--from', '2025-03-10', '--to', '2025-03-01'], ['argument --to: the period is inverted or empty']],
      [['report', 'iso27001', '--from', '2099-01-01', '--to', '2099-02-01'], ['argument --from: 2099-01-01 is in the future', 'argument --to: 2099-02-01 is in the future']],
      [['report', 'iso27001', '--from', 'last-monday', '--to', '2025-03-01'], ['argument --from: expected a date (2025-06-30) or an ISO instant with a zone']],
      [['report', 'iso27001', '--to', '2025-03-01'], ['argument --from: required']],
      // Commander's own usage errors (it prints them itself): exit 2 all the same.
      [['report', 'iso27001', '--from', '2025-03-01', '--to', '2025-03-31', '--format', 'pdf'], []],
      [['report', 'soc2', '--from', '2025-03-01', '--to', '2025-03-31'], []],
      [['report', 'verify-bundle', empty], ['no manifest.json: not an evidence bundle']],
      [['attest', '--control', 'A.9.1', '--owner', 'CISO', '--reason', 'r'], ['argument --control: unknown control "A.9.1"']],
      [['attest', '--control', 'A.5.1'], ['argument --owner: name who owns', 'argument --reason: say what is attested']],
      [['attest', '--control', 'A.5.1', '--owner', 'CISO', '--reason', 'r', '--file', join(dir, 'missing.pdf')], ['argument --file: no such file']],
      [['attest', '--control', 'A.5.1', '--owner', 'CISO', '--reason', 'r', '--expires', '2020-01-01'], ['argument --expires: 2020-01-01 is not in the future']],
      [['waive', '--check', 'rds-multi-az', '--resource', '*', '--until', inDays(30)], ['argument --reason: say why the failure is accepted']],
      [['waive', '--check', 'rds-multi-az', '--resource', '*', '--reason', 'r'], ['argument --until: required: every exception ends']],
      [['waive', '--check', 'rds-multi-az', '--resource', '*', '--reason', 'r', '--until', inDays(400)], ['is more than a year ahead']],
      [['waive', '--check', 'rds-multi-az', '--resource', '*', '--reason', 'r', '--until', '2020-01-01'], ['argument --until: 2020-01-01 is not in the future']],
      [['waive', '--check', 'no-such-check', '--reason', 'r', '--until', inDays(30)], ['argument --check: unknown check "no-such-check"', 'argument --resource: name the resource']],
      [['waive', 'revoke', 'WVR-99', '--reason', 'r'], ['no waiver WVR-99']],
      [['waive', 'revoke', 'WVR-1'], ['argument --reason: say why the exception ends', 'WVR-1 was already revoked']],
    ];

    for (const [args, messages] of cases) {
      const result = await vigil(args);
      expect([args.join(' '), result.code]).toEqual([args.join(' '), 2]);
      for (const message of messages) expect(result.stderr, args.join(' ')).toContain(message);
    }
    expect(await records()).toEqual(before);
  });

  it('checks the statement of applicability: a justification when a control does not apply, and controls that exist', async () => {
    const file = join(dir, 'bad-soa.yaml');
    writeFileSync(file, `${CONFIG}    - control: A.5.99\n      applicable: false\n      justification: typo\n    - control: A.8.1\n      applicable: false\n`);
    const unjustified = await vigil(['report', 'iso27001', '--from', '2025-03-01', '--to', '2025-03-31'], { VIGIL_CONFIG: file });
    writeFileSync(file, `${CONFIG}    - control: A.5.99\n      applicable: false\n      justification: typo\n`);

    const unknown = await vigil(['report', 'iso27001', '--from', '2025-03-01', '--to', '2025-03-31'], { VIGIL_CONFIG: file });

    expect(unjustified.code).toBe(2);
    expect(unjustified.stderr).toContain('bad-soa.yaml:12: evidence.applicability[2].justification: say why the control does not apply (justification)');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('bad-soa.yaml:9: evidence.applicability[1].control: A.5.99 is not a control of ISO/IEC 27001:2022 Annex A');
  });
});

describe('vigil report', () => {
  it('prints the Markdown report for a period', async () => {
    const result = await vigil(['report', 'iso27001', '--from', '2025-03-01', '--to', '2025-03-31', '--format', 'md']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('# ISO/IEC 27001:2022 Annex A: evidence report');
    expect(result.stdout).toContain('| A.5.7 | Threat intelligence | Effective | 1 evaluation of 1 check; nothing failing at the end of the period. |');
    expect(result.stdout).toContain('| A.7.1 | Physical security perimeters | Not applicable | Not applicable per the statement of applicability: No offices; AWS data centres only. |');
    expect(result.stdout).toContain('| lms-prod | 1 | 1 | 0 | 0 | 10 min | 10 min | 2.0 h |');
    expect(result.stderr).toContain('1 not applicable');
  });

  it('writes a bundle whose manifest verifies, and names a file changed afterwards', async () => {
    const out = join(dir, 'bundle');

    const written = await vigil(['report', 'iso27001', '--from', '2025-03-01', '--to', '2025-03-31', '--format', 'csv', '--out', out]);
    const verified = await vigil(['report', 'verify-bundle', out]);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { files: Array<{ path: string; sha256: string; records?: number }>; period: unknown; ledger: Record<string, unknown>; generator: { version: string } };
    const hashes = manifest.files.map((f) => [f.path, createHash('sha256').update(readFileSync(join(out, f.path))).digest('hex')]);
    appendFileSync(join(out, 'evidence', 'check-results.csv'), 'run-x,guardduty-enabled,...\r\n');
    const tampered = await vigil(['report', 'verify-bundle', out, '-o', 'json']);
    const again = await vigil(['report', 'iso27001', '--from', '2025-03-01', '--to', '2025-03-31', '--out', out]);

    expect(written.code).toBe(0);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(`bundle OK: ${manifest.files.length} files match manifest.json`);
    expect(verified.stdout).toContain(`vigil evidence verify --anchor ${String(manifest.ledger['toSeq'])}:${String(manifest.ledger['headHash'])}`);
    expect(manifest.files.map((f) => [f.path, f.records])).toEqual([
      ['report.csv', undefined],
      ['report.json', undefined],
      ['report.oscal.json', undefined],
      ['evidence/check-results.csv', 2],
      ['evidence/check-results.json', 2],
      ['evidence/drills.csv', 1],
      ['evidence/drills.json', 1],
      ['evidence/incidents.csv', 0],
      ['evidence/incidents.json', 0],
      ['evidence/attestations.csv', 0],
      ['evidence/attestations.json', 0],
      ['evidence/waivers.csv', 0],
      ['evidence/waivers.json', 0],
    ]);
    expect(hashes).toEqual(manifest.files.map((f) => [f.path, f.sha256]));
    expect(manifest.ledger).toMatchObject({ verified: true, headHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(manifest.period).toEqual({ from: '2025-03-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z' });
    expect(manifest.generator.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(readFileSync(join(out, 'report.csv'), 'utf8').trim().split('\r\n')).toHaveLength(94);
    expect(JSON.parse(readFileSync(join(out, 'evidence', 'check-results.json'), 'utf8'))).toHaveLength(2);
    expect(tampered.code).toBe(1);
    expect(JSON.parse(tampered.stdout)).toMatchObject({ ok: false, problems: [{ path: 'evidence/check-results.csv', problem: 'modified' }] });
    expect([again.code, again.stderr]).toEqual([2, expect.stringContaining('is not empty')]);
  });

  it('refuses over a tampered ledger, naming the entry, unless told to report anyway', async () => {
    const tamperDir = mkdtempSync(join(tmpdir(), 'vigil-report-tamper-'));
    const tamperEnv = { VIGIL_DATA_DIR: tamperDir };
    const store = SqliteStore.open(tamperDir);
    await seedCheckRun(store, 'run-1', '2025-03-05T04:30:00.000Z', [{ checkId: 'guardduty-enabled', status: 'pass' }]);
    await seedCheckRun(store, 'run-2', '2025-03-06T04:30:00.000Z', [{ checkId: 'guardduty-enabled', status: 'pass' }]);
    const [entry] = await store.ledger.entries({ kinds: ['check-result'], limit: 1 });
    await store.close();
    const db = new Database(join(tamperDir, DB_FILE));
    db.prepare("UPDATE ledger SET data = replace(data, '\"pass\"', '\"fail\"') WHERE seq = ?").run(entry?.seq);
    db.close();

    const refused = await vigil(['report', 'iso27001', '--from', '2025-03-01', '--to', '2025-03-31'], tamperEnv);
    const anyway = await vigil(['report', 'iso27001', '--from', '2025-03-01', '--to', '2025-03-31', '--format', 'json', '--allow-broken-ledger'], tamperEnv);

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`the evidence ledger breaks at entry ${entry?.seq} (altered)`);
    expect(refused.stdout).toBe('');
    expect(anyway.code).toBe(0);
    const report = JSON.parse(anyway.stdout) as EvidenceReport;
    expect(report.ledger).toMatchObject({ verified: false, break: { seq: entry?.seq, kind: 'altered' } });
    expect(report.notices).toContainEqual(expect.stringContaining(`The evidence ledger breaks at entry ${entry?.seq} (altered)`));
  });

  it('runs from the real entry point: a JSON report over a period with no evidence says so', async () => {
    const result = await runCli(['report', 'iso27001', '--from', '2024-01-01', '--to', '2024-01-31', '--format', 'json'], { env });

    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as EvidenceReport;
    expect(report.summary.byVerdict).toEqual({ effective: 0, effective_with_exceptions: 0, not_effective: 0, not_evidenced: 92, attested: 0, not_applicable: 1 });
    expect(report.notices[0]).toMatch(/^No evidence in this period/);
  });
});
