/**
 * The ledger's benchmark (issue #8): append 200,000 entries shaped like check results to a fresh store in
 * batches, then verify the whole chain. Target: verify at least 100,000 entries per second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { verifyLedger } from '../src/evidence/ledger.js';
import type { NewLedgerEntry } from '../src/store/ledger-types.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { BenchResult } from './index.js';

const ENTRIES = 200_000;
const BATCH = 1_000;
const VERIFY_TARGET_PER_SECOND = 100_000;

/** What an hourly check run appends for one resource. */
function checkResult(n: number, at: Date): NewLedgerEntry {
  const runId = `run-${Math.floor(n / 500)}`;
  return {
    kind: 'check-result',
    at: at.toISOString(),
    actor: 'scheduler',
    subject: `${runId}:${n % 500}`,
    data: {
      runId,
      seq: n % 500,
      checkId: 'rds-backup-retention',
      accountId: '222222222222',
      region: 'us-east-1',
      resource: `arn:aws:rds:us-east-1:222222222222:db:lms-${n % 97}`,
      name: `lms-${n % 97}`,
      severity: 'high',
      status: n % 13 === 0 ? 'fail' : 'pass',
      message: `lms-${n % 97} keeps automated backups for ${n % 13 === 0 ? 7 : 30} days.`,
      evaluatedAt: at.toISOString(),
      params: { minDays: 30 },
      factsSha256: 'a'.repeat(64),
    },
  };
}

export async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-ledger-'));
  const store = SqliteStore.open(dir);
  try {
    const start = Date.parse('2026-01-01T00:00:00Z');
    const appendStarted = performance.now();
    for (let n = 0; n < ENTRIES; n += BATCH) {
      const batch: NewLedgerEntry[] = [];
      for (let i = n; i < Math.min(n + BATCH, ENTRIES); i++) batch.push(checkResult(i, new Date(start + i * 1000)));
      await store.ledger.append(batch);
    }
    const appendSeconds = (performance.now() - appendStarted) / 1000;

    const verifyStarted = performance.now();
    const verification = await verifyLedger(store.ledger);
    const verifySeconds = (performance.now() - verifyStarted) / 1000;
    if (!verification.ok || verification.entries !== ENTRIES) throw new Error(`the benchmark's ledger did not verify: ${JSON.stringify(verification.break ?? verification)}`);

    const verifyRate = Math.round(ENTRIES / verifySeconds);
    return {
      name: `ledger (${ENTRIES.toLocaleString('en')} entries)`,
      figures: [
        { label: 'append', value: Math.round(ENTRIES / appendSeconds), unit: 'entries/s' },
        { label: 'verify', value: verifyRate, unit: 'entries/s', target: `>= ${VERIFY_TARGET_PER_SECOND.toLocaleString('en')}/s`, met: verifyRate >= VERIFY_TARGET_PER_SECOND },
        { label: 'verify time', value: verifySeconds, unit: 's' },
      ],
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
