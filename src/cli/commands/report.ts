/** `vigil report`: the ISO/IEC 27001 evidence report for a period, and checking a bundle written by it. */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ConfigError, type Problem } from '../../core/errors.js';
import type { ReportFormat } from '../../evidence/produce.js';
import { reportSources, vigilVersion } from '../../evidence/wiring.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../errors.js';
import { printJson } from '../output.js';
import { actorOf } from './incident.js';

export function reportCommand(ctx: CommandContext): Command {
  const report = new Command('report').description('evidence reports for auditors: ISO/IEC 27001:2022 Annex A, every control with an honest verdict');

  report
    .command('iso27001')
    .alias('iso27001-2022')
    .description('the ISO/IEC 27001:2022 report for a period; a bare date is a whole UTC day, both ends included')
    .option('--from <date>', 'first day of the period (2025-01-01) or an ISO instant')
    .option('--to <date>', 'last day of the period (2025-03-31) or an ISO instant (exclusive)')
    .addOption(new Option('--format <format>', 'report format').choices(['html', 'md', 'json', 'csv', 'oscal']).default('html'))
    .option('--out <dir>', 'write the bundle here: the report, the raw evidence as CSV and JSON, and manifest.json with every file\'s SHA-256')
    .option('--allow-broken-ledger', 'produce the report even when the evidence ledger is broken; the report says where')
    .option('--actor <name>', 'who is asking (default: $VIGIL_ACTOR or $USER)')
    .action(async (opts: { from?: string; to?: string; format: ReportFormat; out?: string; allowBrokenLedger?: boolean; actor?: string }, command: Command) => {
      const { parsePeriod } = await import('../../evidence/dates.js');
      const { produceReport, checkApplicability } = await import('../../evidence/produce.js');
      const { loadTrustedKeys } = await import('../../evidence/signing.js');
      const app = await ctx.app(command);
      const { period, problems } = parsePeriod(opts.from, opts.to, app.clock.now());
      const found: Problem[] = [...problems];
      const src = await reportSources(app);
      // Every problem at once: the period, the statement of applicability, the trusted keys.
      const collect = <T>(work: () => T): T | undefined => {
        try {
          return work();
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          found.push(...err.problems);
          return undefined;
        }
      };
      collect(() => checkApplicability(src, app.loaded));
      const publicKeys = collect(() => loadTrustedKeys(app.config.evidence, app.loaded.file));
      if (found.length > 0 || !period || !publicKeys) throw new ConfigError(found);

      const outDir = opts.out ? resolve(opts.out) : undefined;
      const outcome = await produceReport(app.store(), src, {
        period,
        format: opts.format,
        ...(outDir ? { outDir } : {}),
        allowBrokenLedger: Boolean(opts.allowBrokenLedger),
        publicKeys,
        version: vigilVersion(),
        actor: actorOf(ctx, opts.actor),
      });
      if (outcome.kind === 'refused') {
        const b = outcome.ledger.break;
        ctx.io.err(`vigil: refused: the evidence ledger breaks at entry ${b?.seq ?? '?'} (${b?.kind ?? 'unknown'}): ${b?.message ?? 'no detail'}`);
        ctx.io.err('A report built on it could not be trusted. Run `vigil evidence verify` to investigate, or pass --allow-broken-ledger to report anyway (the report will say where the chain breaks).');
        ctx.exitCode = ExitCode.Failed;
        return;
      }
      const { report: built, manifest } = outcome;
      if (!outDir || !manifest) {
        ctx.io.out(outcome.text.trimEnd());
      } else {
        ctx.io.out(`wrote the evidence bundle to ${outDir}: ${manifest.files.length} files and manifest.json`);
        ctx.io.out(`verify it with: vigil report verify-bundle ${outDir}`);
      }
      const v = built.summary.byVerdict;
      ctx.io.err(
        `${built.framework.name}, ${built.period.from} to ${built.period.to}: ${v.effective} effective, ${v.effective_with_exceptions} with exceptions, ${v.not_effective} not effective, ${v.attested} attested, ${v.not_evidenced} not evidenced, ${v.not_applicable} not applicable`,
      );
      for (const notice of built.notices) ctx.io.err(`notice: ${notice}`);
    });

  report
    .command('verify-bundle')
    .description('re-hash every file of an evidence bundle against its manifest')
    .argument('<dir>', 'the bundle directory (written by `vigil report ... --out DIR`)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (dir: string, opts: { output: 'table' | 'json' }) => {
      const { verifyBundle } = await import('../../evidence/bundle.js');
      const result = await verifyBundle(resolve(dir));
      if (!result.ok) ctx.exitCode = ExitCode.Failed;
      if (opts.output === 'json') return printJson(ctx.io, { ok: result.ok, checked: result.checked, problems: result.problems, period: result.manifest.period, ledger: result.manifest.ledger });
      if (result.ok) {
        const l = result.manifest.ledger;
        ctx.io.out(`bundle OK: ${result.checked} files match manifest.json (period ${result.manifest.period.from} to ${result.manifest.period.to})`);
        ctx.io.out(
          l.toSeq !== undefined && l.headHash
            ? `built from ledger entries ${l.fromSeq}-${l.toSeq}, head ${l.headHash}; check the ledger still holds them with: vigil evidence verify --anchor ${l.toSeq}:${l.headHash}`
            : 'the ledger held no entries for the period',
        );
        return;
      }
      ctx.io.out(`bundle NOT OK: ${result.problems.length} of its files do not match manifest.json`);
      for (const p of result.problems) ctx.io.out(`  ${p.problem}: ${p.message}`);
    });

  return report;
}
