/** `vigil attest` and `vigil waive`: what a person adds to the evidence, each recorded in the ledger. */
import { Command } from 'commander';
import { PROJECT_ROOT } from '../../core/paths.js';
import type { Attestation } from '../../evidence/report-model.js';
import type { StoredWaiver } from '../../store/evidence-types.js';
import type { CommandContext } from '../context.js';
import { outputOption, printJson, renderTable } from '../output.js';
import { actorOf } from './incident.js';

type Output = { output: 'table' | 'json' };

async function frameworkControls(): Promise<Set<string>> {
  const { loadFramework } = await import('../../evidence/framework.js');
  return new Set(loadFramework(PROJECT_ROOT).controls.map((c) => c.id));
}

async function checkIds(): Promise<Set<string>> {
  const [{ loadCheckDefinitions }, { EVALUATORS }, controls] = await Promise.all([import('../../checks/definitions.js'), import('../../checks/registry.js'), frameworkControls()]);
  return new Set(loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS, knownControls: controls }).map((c) => c.id));
}

function attestationLine(a: Attestation): string {
  const file = a.file ? `, file ${a.file.name} (${a.file.bytes} bytes, sha256 ${a.file.sha256})` : '';
  return `${a.id}: ${a.control} attested by ${a.owner} at ${a.at}${file}${a.expiresAt ? `, expires ${a.expiresAt}` : ''}`;
}

function waiverStatus(w: StoredWaiver, now: Date): string {
  if (w.revokedAt) return `revoked ${w.revokedAt} by ${w.revokedBy ?? '?'}: ${w.revokeReason ?? ''}`;
  return Date.parse(w.until) <= now.getTime() ? 'expired' : 'in force';
}

export function attestCommand(ctx: CommandContext): Command {
  const attest = new Command('attest').description('attestations: a person vouches for a control no automation can prove (a policy, training, physical security)');

  // The default subcommand, so `vigil attest --control ...` records one. Its options live on it rather
  // than on `attest`, or commander would give `-o` and `--reason` to `attest` even after `list`.
  attest
    .command('add', { isDefault: true })
    .description('attest a control (the default: `vigil attest --control A.5.1 ...`); the file is recorded by SHA-256, not copied')
    .option('--control <id>', 'the Annex A control, e.g. A.5.1')
    .option('--file <path>', 'the document attested (hashed; it stays with its owner)')
    .option('--owner <name>', 'who owns the control or document')
    .option('--reason <text>', 'what is attested (required)')
    .option('--expires <date>', 'when the attestation lapses (date or ISO instant); it covers report periods until then')
    .option('--actor <name>', 'who you are (default: $VIGIL_ACTOR or $USER)')
    .addOption(outputOption())
    .action(async (opts: Output & { control?: string; file?: string; owner?: string; reason?: string; expires?: string; actor?: string }, command: Command) => {
      const { attest: record } = await import('../../evidence/records.js');
      const controls = await frameworkControls();
      const app = await ctx.app(command);
      const input = { control: opts.control, file: opts.file, owner: opts.owner, reason: opts.reason, expires: opts.expires };
      // Validated in full (every problem at once) before anything is written.
      const attestation = await record(app.store().evidence, input, controls, { clock: app.clock, actor: actorOf(ctx, opts.actor) });
      if (opts.output === 'json') return printJson(ctx.io, attestation);
      ctx.io.out(attestationLine(attestation));
    });

  attest
    .command('list')
    .description('attestations, oldest first')
    .option('--control <id>', 'only this control')
    .addOption(outputOption())
    .action(async (opts: Output & { control?: string }, command: Command) => {
      const app = await ctx.app(command);
      const list = await app.store().evidence.listAttestations(opts.control ? { control: opts.control } : {});
      if (opts.output === 'json') return printJson(ctx.io, list);
      if (list.length === 0) return ctx.io.out('no attestations; `vigil attest --control A.5.1 --owner NAME --reason TEXT [--file FILE]` adds one');
      ctx.io.out(
        renderTable(
          ['id', 'control', 'owner', 'reason', 'file', 'sha256', 'at', 'by', 'expires'],
          list.map((a) => [a.id, a.control, a.owner, a.reason, a.file?.name, a.file?.sha256.slice(0, 16), a.at, a.actor, a.expiresAt]),
        ),
      );
    });

  return attest;
}

export function waiveCommand(ctx: CommandContext): Command {
  const waive = new Command('waive').description('waivers: failing check results accepted as exceptions, each with a reason and an expiry');

  // The default subcommand, so `vigil waive --check ...` grants one (see `attest add`).
  waive
    .command('grant', { isDefault: true })
    .description('accept a failing check result as an exception (the default: `vigil waive --check ID ...`), with a reason and an expiry within a year')
    .option('--check <id>', 'the check')
    .option('--resource <arn>', 'the resource (ARN or id), or * for every resource of the check')
    .option('--until <date>', 'when the exception ends (date or ISO instant, at most a year ahead)')
    .option('--reason <text>', 'why the failure is accepted (required)')
    .option('--actor <name>', 'who you are (default: $VIGIL_ACTOR or $USER)')
    .addOption(outputOption())
    .action(async (opts: Output & { check?: string; resource?: string; until?: string; reason?: string; actor?: string }, command: Command) => {
      const { waive: record } = await import('../../evidence/records.js');
      const checks = await checkIds();
      const app = await ctx.app(command);
      const input = { checkId: opts.check, resource: opts.resource, until: opts.until, reason: opts.reason };
      const waiver = await record(app.store().evidence, input, checks, { clock: app.clock, actor: actorOf(ctx, opts.actor) });
      if (opts.output === 'json') return printJson(ctx.io, waiver);
      ctx.io.out(`${waiver.id}: ${waiver.checkId} failing on ${waiver.resource} accepted until ${waiver.until} by ${waiver.actor}`);
    });

  waive
    .command('list')
    .description('waivers in force now (--all: also expired and revoked ones), oldest first')
    .option('--all', 'include expired and revoked waivers')
    .option('--check <id>', 'only this check')
    .addOption(outputOption())
    .action(async (opts: Output & { all?: boolean; check?: string }, command: Command) => {
      const app = await ctx.app(command);
      const now = app.clock.now();
      const list = await app.store().evidence.listWaivers({ ...(opts.check ? { checkId: opts.check } : {}), ...(opts.all ? {} : { activeAt: now.toISOString() }) });
      if (opts.output === 'json') return printJson(ctx.io, list);
      if (list.length === 0) return ctx.io.out(opts.all ? 'no waivers' : 'no waivers in force');
      ctx.io.out(
        renderTable(
          ['id', 'check', 'resource', 'until', 'reason', 'by', 'at', 'status'],
          list.map((w) => [w.id, w.checkId, w.resource, w.until, w.reason, w.actor, w.at, waiverStatus(w, now)]),
        ),
      );
    });

  waive
    .command('revoke')
    .description('end a waiver now; the failure it accepted counts again')
    .argument('<id>', 'waiver id, e.g. WVR-3')
    .option('--reason <text>', 'why (required)')
    .option('--actor <name>', 'who you are (default: $VIGIL_ACTOR or $USER)')
    .addOption(outputOption())
    .action(async (id: string, opts: Output & { reason?: string; actor?: string }, command: Command) => {
      const { revokeWaiver } = await import('../../evidence/records.js');
      const app = await ctx.app(command);
      const revoked = await revokeWaiver(app.store().evidence, id.toUpperCase(), opts.reason, { clock: app.clock, actor: actorOf(ctx, opts.actor) });
      if (opts.output === 'json') return printJson(ctx.io, revoked);
      ctx.io.out(`${revoked.id} revoked at ${revoked.revokedAt} by ${revoked.revokedBy}`);
    });

  return waive;
}
