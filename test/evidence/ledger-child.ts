/**
 * A second process appending to the same store as the test: `ledger-child.ts DIR NAME COUNT` opens the
 * store, prints `ready`, waits for a line on stdin (so two children start appending together), appends
 * COUNT token changes named NAME-<n>, each in its own transaction, then prints `done`. It pauses a
 * moment between appends, as real writers do: a tight loop would keep SQLite's write lock to itself
 * while the other process sleeps in its busy handler, and the two would never interleave.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { SqliteStore } from '../../src/store/sqlite.js';

const [dir, name, count] = process.argv.slice(2) as [string, string, string];
const store = SqliteStore.open(dir);
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
await once(lines, 'line');
lines.close();
for (let n = 0; n < Number(count); n++) {
  await store.tokens.createToken({
    id: `${name}-${n}`,
    name: `${name}-${n}`,
    role: 'auditor',
    hash: `${name}-${n}-hash`,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    createdBy: name,
    reason: 'concurrency test',
  });
  await new Promise((resolve) => setTimeout(resolve, 2));
}
await store.close();
process.stdout.write('done\n');
