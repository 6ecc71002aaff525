/**
 * `npm run bench`: every `bench/*.bench.ts`, one after another, each printing its figures and whether
 * it met its target. Targets are checked here, never in timed tests. `npm run bench -- ledger` runs the
 * files whose names contain "ledger".
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface BenchResult {
  name: string;
  /** Printed as `name: value unit (target ...)`. */
  figures: Array<{ label: string; value: number; unit: string; target?: string; met?: boolean }>;
}

const filter = process.argv[2];
const files = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.bench.ts') && (!filter || f.includes(filter)))
  .sort();
let missed = 0;
for (const file of files) {
  const mod = (await import(pathToFileURL(join(import.meta.dirname, file)).href)) as { run: () => Promise<BenchResult> };
  const result = await mod.run();
  console.log(`\n${result.name}`);
  for (const f of result.figures) {
    const verdict = f.met === undefined ? '' : f.met ? '  ok' : '  MISSED';
    if (f.met === false) missed += 1;
    console.log(`  ${f.label}: ${Number.isInteger(f.value) ? f.value : f.value.toFixed(2)} ${f.unit}${f.target ? ` (target ${f.target})` : ''}${verdict}`);
  }
}
if (files.length === 0) console.log('no benchmarks matched');
process.exitCode = missed > 0 ? 1 : 0;
