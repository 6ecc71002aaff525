/**
 * The evidence bundle: the report, the period's raw evidence as CSV and JSON, and manifest.json with the
 * SHA-256 of every file and the ledger range and head hash the report was built from, so an auditor can
 * check the files (`vigil report verify-bundle DIR`) and the ledger (`vigil evidence verify`) on their own.
 *
 * Raw evidence is streamed from the store to disk row by row, hashed as it is written: a year of hourly
 * check results is a million rows and never sits in memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { dirname, join, relative, sep } from 'node:path';
import { ConfigError, EnvironmentError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type { Incident } from '../incidents/types.js';
import type { Store } from '../store/types.js';
import type { CheckResultRecord, DrillRecord } from '../store/types.js';
import { csvLine } from './render-csv.js';
import type { EvidenceReport } from './report-model.js';

export const MANIFEST_FILE = 'manifest.json';
export const BUNDLE_FORMAT = 'vigil-evidence-bundle/1';

export interface ManifestFile {
  /** Relative to the bundle directory, with forward slashes. */
  path: string;
  sha256: string;
  bytes: number;
  /** Rows of raw evidence, for the CSV and JSON files. */
  records?: number;
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  generator: { name: 'vigil'; version: string };
  generatedAt: string;
  generatedBy: string;
  framework: EvidenceReport['framework'];
  period: EvidenceReport['period'];
  ledger: EvidenceReport['ledger'];
  files: ManifestFile[];
}

/** Writes text to a file, hashing exactly the bytes written, and waits for the disk when it lags. */
class HashingWriter {
  private readonly hash = createHash('sha256');
  private readonly stream: WriteStream;
  private bytes = 0;

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.stream = createWriteStream(file);
  }

  /** Every byte passes the secret redactor, as every line Vigil prints does. */
  async write(text: string): Promise<void> {
    const chunk = Buffer.from(redact(text), 'utf8');
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close(): Promise<{ sha256: string; bytes: number }> {
    this.stream.end();
    await once(this.stream, 'finish');
    return { sha256: this.hash.digest('hex'), bytes: this.bytes };
  }

  get path(): string {
    return this.file;
  }
}

/** A CSV and a JSON array of the same records, written side by side as the records stream past. */
async function writeRecords<T>(dir: string, name: string, columns: readonly string[], row: (r: T) => unknown[], records: AsyncIterable<T> | Iterable<T>): Promise<ManifestFile[]> {
  const csv = new HashingWriter(join(dir, 'evidence', `${name}.csv`));
  const json = new HashingWriter(join(dir, 'evidence', `${name}.json`));
  await csv.write(csvLine(columns));
  await json.write('[');
  let count = 0;
  // Batches of writes: one await per row would cost more than the row.
  let csvBatch = '';
  let jsonBatch = '';
  for await (const record of records) {
    csvBatch += csvLine(row(record));
    jsonBatch += `${count === 0 ? '\n' : ',\n'}${JSON.stringify(record)}`;
    count += 1;
    if (csvBatch.length > 1 << 16) {
      await csv.write(csvBatch);
      await json.write(jsonBatch);
      csvBatch = '';
      jsonBatch = '';
    }
  }
  await csv.write(csvBatch);
  await json.write(`${jsonBatch}${count === 0 ? ']\n' : '\n]\n'}`);
  const out: ManifestFile[] = [];
  for (const writer of [csv, json]) out.push({ path: relative(dir, writer.path).split(sep).join('/'), ...(await writer.close()), records: count });
  return out;
}

const CHECK_COLUMNS = ['run_id', 'check_id', 'account_id', 'region', 'resource', 'name', 'severity', 'status', 'message', 'evaluated_at', 'remediation', 'params', 'facts'] as const;
const DRILL_COLUMNS = ['id', 'target', 'account_id', 'region', 'status', 'trigger', 'actor', 'reason', 'started_at', 'finished_at', 'rto_seconds', 'rpo_seconds', 'rto_target_seconds', 'rpo_target_seconds', 'recovery_point', 'failure'] as const;
const INCIDENT_COLUMNS = ['id', 'severity', 'state', 'title', 'components', 'commander', 'reported_at', 'timeline_entries', 'timeline'] as const;
const ATTESTATION_COLUMNS = ['id', 'control', 'owner', 'reason', 'file_name', 'file_sha256', 'file_bytes', 'at', 'actor', 'expires_at'] as const;
const WAIVER_COLUMNS = ['id', 'check_id', 'resource', 'reason', 'until', 'at', 'actor', 'revoked_at', 'revoked_by', 'revoke_reason'] as const;

function checkRow(r: CheckResultRecord): unknown[] {
  return [r.runId, r.checkId, r.accountId, r.region, r.resource, r.name, r.severity, r.status, r.message, r.evaluatedAt, r.remediation, r.params, r.facts];
}

function drillRow(d: DrillRecord): unknown[] {
  const m = d.measures;
  return [d.id, d.target, d.accountId, d.region, d.status, d.trigger, d.actor, d.reason, d.startedAt, d.finishedAt, m['rtoSeconds'], m['rpoSeconds'], m['rtoTargetSeconds'], m['rpoTargetSeconds'], d.recoveryPoint?.id, d.failure];
}

function incidentRow(i: Incident): unknown[] {
  return [i.id, i.severity, i.state, i.title, i.components.join(' '), i.commander, i.reportedAt, i.timeline.length, i.timeline];
}

/** Refuses a directory holding files: a bundle mixed with an older one would not verify, or worse, would. */
export function checkBundleDirectory(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new ConfigError([{ file: 'argument --out', path: '', message: `${dir} is a file, not a directory` }]);
  if (readdirSync(dir).length > 0) throw new ConfigError([{ file: 'argument --out', path: '', message: `${dir} is not empty; give a new or empty directory for the bundle` }]);
}

function prepareDirectory(dir: string): void {
  checkBundleDirectory(dir);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new EnvironmentError(`cannot create the bundle directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

export interface BundleInput {
  report: EvidenceReport;
  /** The rendered report files, by name (`report.md`, `report.json`). */
  rendered: Record<string, string>;
  version: string;
}

/** Writes the bundle into `dir` (new or empty) and returns its manifest. */
export async function writeBundle(store: Store, dir: string, input: BundleInput): Promise<BundleManifest> {
  prepareDirectory(dir);
  const { report } = input;
  const period = report.period;
  const files: ManifestFile[] = [];
  for (const [name, text] of Object.entries(input.rendered)) {
    const writer = new HashingWriter(join(dir, name));
    await writer.write(text);
    files.push({ path: name, ...(await writer.close()) });
  }
  files.push(...(await writeRecords(dir, 'check-results', CHECK_COLUMNS, checkRow, store.evidence.streamCheckResults(period))));
  files.push(...(await writeRecords(dir, 'drills', DRILL_COLUMNS, drillRow, await store.evidence.drillsIn(period))));
  files.push(...(await writeRecords(dir, 'incidents', INCIDENT_COLUMNS, incidentRow, await store.evidence.incidentsIn(period))));
  files.push(
    ...(await writeRecords(dir, 'attestations', ATTESTATION_COLUMNS, (a) => [a.id, a.control, a.owner, a.reason, a.file?.name, a.file?.sha256, a.file?.bytes, a.at, a.actor, a.expiresAt], await store.evidence.listAttestations({ period }))),
  );
  files.push(
    ...(await writeRecords(dir, 'waivers', WAIVER_COLUMNS, (w) => [w.id, w.checkId, w.resource, w.reason, w.until, w.at, w.actor, w.revokedAt, w.revokedBy, w.revokeReason], await store.evidence.listWaivers({ period }))),
  );
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    generator: { name: 'vigil', version: input.version },
    generatedAt: report.generatedAt,
    generatedBy: report.generatedBy,
    framework: report.framework,
    period,
    ledger: report.ledger,
    files,
  };
  const writer = new HashingWriter(join(dir, MANIFEST_FILE));
  await writer.write(`${JSON.stringify(manifest, null, 2)}\n`);
  await writer.close();
  return manifest;
}

export interface BundleProblem {
  path: string;
  problem: 'modified' | 'missing' | 'unlisted';
  message: string;
}

export interface BundleVerification {
  ok: boolean;
  manifest: BundleManifest;
  checked: number;
  problems: BundleProblem[];
}

async function sha256File(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full, base));
    else out.push(relative(base, full).split(sep).join('/'));
  }
  return out;
}

function readManifest(dir: string): BundleManifest {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([{ file, path: '', message: code === 'ENOENT' ? 'no manifest.json: not an evidence bundle written by `vigil report --out`' : `cannot read it (${code ?? String(err)})` }]);
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([{ file, path: '', message: `not valid JSON: ${(err as Error).message}` }]);
  }
  const m = manifest as Partial<BundleManifest>;
  const files = Array.isArray(m.files) ? m.files : undefined;
  if (m.format !== BUNDLE_FORMAT || !files || files.some((f) => typeof f?.path !== 'string' || typeof f?.sha256 !== 'string' || f.path.split('/').includes('..'))) {
    throw new ConfigError([{ file, path: '', message: `not a ${BUNDLE_FORMAT} manifest (expected "format" and a "files" list of {path, sha256, bytes})` }]);
  }
  return manifest as BundleManifest;
}

/** Re-hashes every file the manifest lists; files missing, changed, or present but not listed are problems. */
export async function verifyBundle(dir: string): Promise<BundleVerification> {
  const manifest = readManifest(dir);
  const problems: BundleProblem[] = [];
  const listed = new Set(manifest.files.map((f) => f.path));
  for (const f of manifest.files) {
    const file = join(dir, ...f.path.split('/'));
    if (!existsSync(file)) {
      problems.push({ path: f.path, problem: 'missing', message: `${f.path} is listed in the manifest but missing` });
      continue;
    }
    const actual = await sha256File(file);
    if (actual.sha256 !== f.sha256) problems.push({ path: f.path, problem: 'modified', message: `${f.path} does not match the manifest: SHA-256 ${actual.sha256}, expected ${f.sha256}` });
  }
  for (const path of listFiles(dir)) {
    if (path !== MANIFEST_FILE && !listed.has(path)) problems.push({ path, problem: 'unlisted', message: `${path} is not in the manifest` });
  }
  return { ok: problems.length === 0, manifest, checked: manifest.files.length, problems };
}
