/** `vigil evidence`: the tamper-evident ledger behind the reports: verify it, sign checkpoints, read it. */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, type Problem } from '../../core/errors.js';
import { parseDate } from '../../evidence/dates.js';
import { LEDGER_KINDS, type LedgerEntry, type LedgerKind, type LedgerStore, type LedgerVerification } from '../../store/ledger-types.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../errors.js';
import { outputOption, printJson, renderTable } from '../output.js';
import { actorOf } from './incident.js';

type Output = { output: 'table' | 'json' };

export const PRIVATE_KEY_FILE = 'ledger-signing-key.pem';
export const PUBLIC_KEY_FILE = 'ledger-signing-key.pub.pem';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number of at least 1, got "${value}"`);
  return n;
}

/** `--from`/`--to` as a period (a bare date covers its whole UTC day); either may be left open. */
function periodOf(fromText: string | undefined, toText: string | undefined): { period?: { from: string; to: string }; problems: Problem[] } {
  if (fromText === undefined && toText === undefined) return { problems: [] };
  const expected = 'expected a date (2026-06-30) or an ISO instant with a zone (2026-06-30T12:00:00Z)';
  const problems: Problem[] = [];
  const from = fromText === undefined ? undefined : parseDate(fromText);
  const to = toText === undefined ? undefined : parseDate(toText);
  if (fromText !== undefined && !from) problems.push({ file: 'argument --from', path: '', message: `${expected}, got "${fromText}"` });
  if (toText !== undefined && !to) problems.push({ file: 'argument --to', path: '', message: `${expected}, got "${toText}"` });
  if (problems.length > 0) return { problems };
  const start = from?.start ?? new Date(0);
  const end = to?.end ?? new Date(8.64e15);
  if (end.getTime() <= start.getTime()) return { problems: [{ file: 'argument --to', path: '', message: `the period ends (${end.toISOString()}) before it starts (${start.toISOString()})` }] };
  return { period: { from: start.toISOString(), to: end.toISOString() }, problems };
}

/** `SEQ:HASH`, a head recorded elsewhere (a report bundle's manifest). */
function anchorOf(value: string, previous: Array<{ seq: number; hash: string }> = []): Array<{ seq: number; hash: string }> {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`expected SEQ:HASH (an entry number and its 64-hex SHA-256), got "${value}"`);
  return [...previous, { seq: Number(match[1]), hash: match[2] as string }];
}

export function evidenceCommand(ctx: CommandContext): Command {
  const evidence = new Command('evidence').description('the tamper-evident evidence ledger: every check result, drill, incident change, notification, job run and token change, hash-chained');

  evidence
    .command('verify')
    .description('recompute the chain and name the first entry that was altered, removed or reordered; check checkpoint signatures')
    .option('--from <date>', 'only entries recorded from this date or instant')
    .option('--to <date>', 'only entries recorded up to this date (inclusive) or instant')
    .option('--anchor <seq:hash>', 'an entry recorded elsewhere (a report manifest\'s head) that must still be there unchanged (repeatable)', anchorOf)
    .addOption(outputOption())
    .action(async (opts: Output & { from?: string; to?: string; anchor?: Array<{ seq: number; hash: string }> }, command: Command) => {
      const { period, problems } = periodOf(opts.from, opts.to);
      if (problems.length > 0) throw new ConfigError(problems);
      const app = await ctx.app(command);
      const { verifyLedger } = await import('../../evidence/ledger.js');
      const { loadTrustedKeys } = await import('../../evidence/signing.js');
      const publicKeys = loadTrustedKeys(app.config.evidence, app.loaded.file);
      const ledger = app.store().ledger;
      const range = period ? await ledger.rangeOf(period) : {};
      if (!range) {
        ctx.exitCode = ExitCode.Ok;
        if (opts.output === 'json') return printJson(ctx.io, { period, entries: 0, ok: true });
        return ctx.io.out(`no ledger entries between ${period?.from} and ${period?.to}`);
      }
      const bar = ctx.io.interactive && opts.output === 'table' ? new SingleBar({ format: 'ledger [{bar}] {value}/{total} entries', hideCursor: true, stream: process.stderr }) : undefined;
      let started = false;
      const verification = await verifyLedger(ledger, range, {
        publicKeys,
        anchors: opts.anchor,
        onProgress: (done, total) => {
          if (bar && !started) bar.start(total, 0);
          started = true;
          bar?.update(done);
        },
      }).finally(() => bar?.stop());
      ctx.exitCode = verification.ok ? ExitCode.Ok : ExitCode.Failed;
      if (opts.output === 'json') return printJson(ctx.io, { ...(period ? { period } : {}), ...verification });
      for (const line of verificationLines(verification, publicKeys.length)) ctx.io.out(line);
    });

  evidence
    .command('checkpoint')
    .description('sign the ledger\'s head with the Ed25519 key in evidence.signingKey, appending the signature as an entry')
    .option('--reason <text>', 'why (required), e.g. "end of Q3 evidence period"')
    .option('--actor <name>', 'who you are (default: $VIGIL_ACTOR or $USER)')
    .addOption(outputOption())
    .action(async (opts: Output & { reason?: string; actor?: string }, command: Command) => {
      if (!opts.reason?.trim()) throw new ConfigError([{ file: 'argument --reason', path: '', message: 'say why; it is recorded with the checkpoint and your name' }]);
      const app = await ctx.app(command);
      const { createCheckpoint } = await import('../../evidence/ledger.js');
      const { loadSigner } = await import('../../evidence/signing.js');
      const signer = loadSigner(app.config.evidence, app.loaded.file);
      if (!signer) {
        throw new ConfigError([
          { file: app.loaded.file, path: 'evidence.signingKey', message: 'no signing key is configured: set it to a PEM file or a vault: reference (`vigil evidence keygen --out DIR` makes a key pair)' },
        ]);
      }
      const entry = await createCheckpoint(app.store().ledger, signer, { at: app.clock.now().toISOString(), actor: actorOf(ctx, opts.actor), reason: opts.reason.trim() });
      if (opts.output === 'json') return printJson(ctx.io, entry);
      ctx.io.out(`checkpoint ${entry.seq} signs entry ${String(entry.data['seq'])} (hash ${String(entry.data['hash'])}) with key ${signer.keyId} (fingerprint ${signer.fingerprint})`);
    });

  evidence
    .command('keygen')
    .description(`write a new Ed25519 key pair for signing checkpoints: ${PRIVATE_KEY_FILE} (mode 0600) and ${PUBLIC_KEY_FILE}`)
    .option('--out <dir>', 'where to write them (required); existing keys are never overwritten')
    .addOption(outputOption())
    .action(async (opts: Output & { out?: string }) => {
      if (!opts.out?.trim()) throw new ConfigError([{ file: 'argument --out', path: '', message: 'name the directory to write the key pair to' }]);
      const { generateSigningKeyPair } = await import('../../evidence/signing.js');
      const dir = resolve(opts.out);
      const pair = generateSigningKeyPair();
      const privateFile = join(dir, PRIVATE_KEY_FILE);
      const publicFile = join(dir, PUBLIC_KEY_FILE);
      writeKeyFiles(dir, [
        { file: privateFile, text: pair.privatePem, mode: 0o600 },
        { file: publicFile, text: pair.publicPem, mode: 0o644 },
      ]);
      if (opts.output === 'json') return printJson(ctx.io, { privateKey: privateFile, publicKey: publicFile, fingerprint: pair.fingerprint });
      ctx.io.out(`wrote ${privateFile} (keep it secret: a file only you can read, or Vault) and ${publicFile}`);
      ctx.io.out(`fingerprint ${pair.fingerprint}`);
      ctx.io.out('in vigil.config.yaml:');
      ctx.io.out(`  evidence:\n    signingKey: ${privateFile}        # or vault:secret/data/vigil#ledger_signing_key holding the PEM\n    trustedKeys: [${publicFile}]`);
    });

  evidence
    .command('log')
    .description('the newest ledger entries, oldest first')
    .option('--kind <kind>', `only entries of this kind (repeatable): ${LEDGER_KINDS.join(', ')}`, collect)
    .option('--limit <n>', 'how many entries', positiveInt, 50)
    .addOption(outputOption())
    .action(async (opts: Output & { kind?: string[]; limit: number }, command: Command) => {
      const unknown = (opts.kind ?? []).filter((k) => !(LEDGER_KINDS as readonly string[]).includes(k));
      if (unknown.length > 0) throw new ConfigError(unknown.map((k) => ({ file: 'argument --kind', path: '', message: `unknown kind "${k}"; expected one of ${LEDGER_KINDS.join(', ')}` })));
      const app = await ctx.app(command);
      const entries = await newestEntries(app.store().ledger, opts.kind as LedgerKind[] | undefined, opts.limit);
      if (opts.output === 'json') return printJson(ctx.io, entries);
      if (entries.length === 0) return ctx.io.out('the ledger has no entries yet');
      ctx.io.out(renderTable(['seq', 'at', 'kind', 'actor', 'subject', 'what', 'hash'], entries.map((e) => [e.seq, e.at, e.kind, e.actor, e.subject, summarise(e), e.hash.slice(0, 12)])));
    });

  return evidence;
}

function verificationLines(v: LedgerVerification, trustedKeys: number): string[] {
  const range = v.entries === 0 && v.ok ? 'the ledger is empty' : `entries ${v.from}-${v.to}`;
  const signatures = trustedKeys === 0 ? 'no trusted keys configured (evidence.trustedKeys)' : `${v.checkpoints.signed} signed by a trusted key`;
  const checkpoints = `checkpoints: ${v.checkpoints.checked} checked, ${signatures}`;
  if (v.ok) return [`ledger verified: ${range}${v.entries > 0 ? ` (${v.entries} entries), head ${v.headHash}` : ''}`, checkpoints];
  const found = v.break as NonNullable<LedgerVerification['break']>;
  return [
    `ledger broken at entry ${found.seq} (${found.kind}): ${found.message}`,
    `verified before the break: ${v.entries} of entries ${v.from}-${v.to}; ${checkpoints}`,
  ];
}

/** Walks back from the head in windows, so a rare kind in a long ledger is found without loading it all. */
async function newestEntries(ledger: LedgerStore, kinds: LedgerKind[] | undefined, limit: number): Promise<LedgerEntry[]> {
  const head = await ledger.head();
  const found: LedgerEntry[] = [];
  const window = Math.max(limit * 4, 5000);
  let hi = head?.seq ?? 0;
  while (hi >= 1 && found.length < limit) {
    const lo = Math.max(1, hi - window + 1);
    const page = await ledger.entries({ fromSeq: lo, toSeq: hi, kinds });
    found.unshift(...page.slice(Math.max(0, page.length - (limit - found.length))));
    hi = lo - 1;
  }
  return found;
}

/** One line on what an entry says, for people; `-o json` has everything. */
function summarise(e: LedgerEntry): string {
  const d = e.data;
  const s = (key: string): string => (d[key] === undefined || d[key] === null ? '' : String(d[key]));
  switch (e.kind) {
    case 'check-result':
      return `${s('checkId')} ${s('status')} ${s('name')}`;
    case 'check-run':
    case 'job-run':
      return `${s('status')}${d['reason'] ? `: ${s('reason')}` : ''}`;
    case 'drill':
      return `${s('target')} ${s('status')}${d['failure'] ? `: ${s('failure')}` : ''}`;
    case 'incident-change':
      return `${s('severity')} ${s('state')}: ${((d['timeline'] as Array<{ reason?: string }> | undefined) ?? []).map((t) => t.reason).join('; ')}`;
    case 'notification':
      return `${s('channel')} ${s('event')} ${s('status')}`;
    case 'token-change':
      return `${s('action')} ${s('name')} (${s('role')}): ${s('reason')}`;
    case 'maintenance':
      return `${s('status')}: ${s('title')}`;
    case 'checkpoint':
      return `signs entry ${s('seq')} with ${s('keyId')}`;
    default:
      return Object.entries(d)
        .filter(([, v]) => typeof v === 'string' || typeof v === 'number')
        .slice(0, 3)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ');
  }
}

function writeKeyFiles(dir: string, files: Array<{ file: string; text: string; mode: number }>): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new ConfigError([{ file: 'argument --out', path: '', message: `cannot create ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
  // Both or neither: a new public key next to an old private one would not match it.
  const taken = files.filter(({ file }) => existsSync(file));
  if (taken.length > 0) throw new ConfigError(taken.map(({ file }) => ({ file: 'argument --out', path: '', message: `${file} already exists; choose another directory` })));
  const problems: Problem[] = [];
  for (const { file, text, mode } of files) {
    try {
      // `wx`: never overwrite a key someone may already depend on.
      writeFileSync(file, text, { mode, flag: 'wx' });
      chmodSync(file, mode);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push({ file: 'argument --out', path: '', message: code === 'EEXIST' ? `${file} already exists; choose another directory` : `cannot write ${file}: ${code ?? String(err)}` });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
