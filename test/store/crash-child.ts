/**
 * Child process for the crash test: starts a run, then appends results. With HALT_AT set, it stops
 * inside the write transaction at that row, tells the parent, and waits to be killed with SIGKILL. The
 * store reads each result twice, to serialize it before the transaction and to write it inside: the
 * halt comes at the second read.
 */
import { writeSync } from 'node:fs';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { CheckResultRecord } from '../../src/store/types.js';

const [dataDir, countText, haltText] = process.argv.slice(2) as [string, string, string | undefined];
const count = Number(countText);
const haltAt = haltText === undefined ? -1 : Number(haltText);

const store = SqliteStore.open(dataDir);
await store.startRun({ id: 'run-1', kind: 'check', startedAt: '2026-11-24T03:00:00.000Z', trigger: 'cli' });

let reads = 0;
const results = new Proxy([] as CheckResultRecord[], {
  get(target, prop, receiver) {
    if (prop === 'length') return count;
    if (typeof prop === 'string' && /^\d+$/.test(prop)) {
      const i = Number(prop);
      if (i === haltAt && (reads += 1) === 2) {
        writeSync(1, 'halted\n');
        // Spin inside the transaction until the parent kills us.
        for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
      }
      return {
        runId: 'run-1', checkId: 'rds-backup-retention', accountId: '222222222222', region: 'us-east-1',
        resource: `arn:aws:rds:us-east-1:222222222222:db:db-${i}`, name: `db-${i}`, severity: 'high', remediation: 'runbooks/rds-backup-retention.md', status: 'pass', message: `db-${i} keeps backups for 30 days.`,
        facts: { retentionDays: 30 }, params: { minDays: 30 }, evaluatedAt: '2026-11-24T03:00:01.000Z',
      } satisfies CheckResultRecord;
    }
    if (prop === Symbol.iterator) {
      return function* () {
        for (let i = 0; i < count; i++) yield receiver[i];
      };
    }
    return Reflect.get(target, prop, receiver);
  },
});

await store.appendCheckResults(results);
writeSync(1, 'committed\n');
for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
