import { Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { loadCheckDefinitions, type CheckDefinition } from '../../checks/definitions.js';
import { EVALUATORS } from '../../checks/registry.js';
import { ConfigError } from '../../core/errors.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import type { CheckResult } from '../../core/results.js';
import { loadFrameworkControls } from '../../evidence/framework.js';
import type { CommandContext } from '../context.js';
import { handOffSignals } from './incident.js';
import { ExitCode } from '../errors.js';
import { outputOption, printJson, renderTable } from '../output.js';

function loadChecks(): CheckDefinition[] {
  return loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS, knownControls: loadFrameworkControls(PROJECT_ROOT) });
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function checkCommand(ctx: CommandContext): Command {
  const check = new Command('check').description('checks of backups, retention, redundancy and access, mapped to ISO/IEC 27001:2022');

  check
    .command('list')
    .description('list the check definitions in checks/')
    .addOption(outputOption())
    .action((opts: { output: 'table' | 'json' }) => {
      const checks = loadChecks();
      if (opts.output === 'json') {
        printJson(ctx.io, checks.map(({ file: _file, ...c }) => c));
        return;
      }
      ctx.io.out(renderTable(['id', 'severity', 'title', 'controls'], checks.map((c) => [c.id, c.severity, c.title, c.controls.join(' ')])));
      ctx.io.out(`${checks.length} checks`);
    });

  check
    .command('run')
    .description('run checks against the configured accounts and store the results')
    .option('--check <id>', 'only this check (repeatable)', collect)
    .option('--account <id>', 'only this account (repeatable)', collect)
    .option('--region <region>', 'only this region (repeatable)', collect)
    .option('--reason <text>', 'why this run was started, recorded with it')
    .addOption(outputOption(['table', 'json', 'csv']))
    .action(async (opts: { check?: string[]; account?: string[]; region?: string[]; reason?: string; output: 'table' | 'json' | 'csv' }, command: Command) => {
      const checks = loadChecks();
      const app = await ctx.app(command);
      const { runChecks, resolveSelection } = await import('../../checks/run.js');
      const { createAwsInventory } = await import('../../adapters/aws/inventory-all.js');
      const { accountSource } = await import('../../adapters/aws/accounts.js');
      const selection = { checkIds: opts.check, accountIds: opts.account, regions: opts.region };
      const { units } = resolveSelection(selection, checks, app.config);
      const bar = ctx.io.interactive && opts.output === 'table' ? new SingleBar({ format: 'checks [{bar}] {value}/{total} {check} {scope}', hideCursor: true, stream: process.stderr }) : undefined;
      bar?.start(units, 0, { check: '', scope: '' });
      const outcome = await runChecks(
        { ...selection, trigger: 'cli', actor: ctx.env['USER'] ?? 'cli', reason: opts.reason },
        { config: app.config, checks, evaluators: EVALUATORS, inventory: createAwsInventory(app.aws(), app.vault()), store: app.store(), clock: app.clock, accounts: accountSource(app.aws(), app.config) },
        (unit) => bar?.increment({ check: unit.checkId, scope: `${unit.accountId}/${unit.region}` }),
      ).finally(() => bar?.stop());
      const results = sortResults(outcome.results);
      await handOffSignals(ctx, app);
      ctx.exitCode = outcome.counts.fail > 0 ? ExitCode.Failed : outcome.counts.error > 0 ? ExitCode.NotEvaluated : ExitCode.Ok;
      const summary = { run: outcome.run.id, status: outcome.run.status, counts: outcome.counts, durationMs: outcome.run.summary['durationMs'] };
      if (opts.output === 'json') {
        for (const r of results) ctx.io.out(JSON.stringify(r));
        ctx.io.out(JSON.stringify({ summary }));
        return;
      }
      if (opts.output === 'csv') {
        ctx.io.out(toCsv(results));
        return;
      }
      printTable(ctx, results, outcome.counts, outcome.run.id, app.store().kind);
    });

  check
    .command('runs')
    .description('list stored check runs, newest first')
    .option('--limit <n>', 'how many runs', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number of at least 1, got "${v}"`);
      return n;
    }, 20)
    .addOption(outputOption())
    .action(async (opts: { limit: number; output: 'table' | 'json' }, command: Command) => {
      const app = await ctx.app(command);
      const runs = await app.store().listRuns({ kind: 'check', limit: opts.limit });
      if (opts.output === 'json') {
        printJson(ctx.io, runs);
        return;
      }
      ctx.io.out(
        renderTable(
          ['run', 'started', 'status', 'by', 'why', 'pass', 'fail', 'error', 'n/a'],
          runs.map((r) => {
            const counts = (r.summary['counts'] ?? {}) as Record<string, number>;
            return [r.id, r.startedAt, r.status, `${r.actor ?? '-'} (${r.trigger})`, r.reason ?? '', counts['pass'], counts['fail'], counts['error'], counts['not_applicable']];
          }),
        ),
      );
    });

  check
    .command('show')
    .description('show the results of one stored check run')
    .argument('<run>', 'run id (see vigil check runs)')
    .addOption(new Option('--status <status>', 'only results with this status').choices(['pass', 'fail', 'error', 'not_applicable']))
    .addOption(outputOption(['table', 'json', 'csv']))
    .action(async (id: string, opts: { status?: string; output: 'table' | 'json' | 'csv' }, command: Command) => {
      const app = await ctx.app(command);
      const run = await app.store().getRun(id);
      if (!run || run.kind !== 'check') throw new ConfigError([{ file: 'argument RUN', path: '', message: `no check run ${id}; see vigil check runs` }]);
      const results = sortResults((await app.store().checkResults(id)).filter((r) => !opts.status || r.status === opts.status));
      if (opts.output === 'json') {
        for (const r of results) ctx.io.out(JSON.stringify(r));
        return;
      }
      if (opts.output === 'csv') {
        ctx.io.out(toCsv(results));
        return;
      }
      ctx.io.out(`Check run ${run.id}: ${run.status}, started ${run.startedAt} by ${run.actor ?? '-'} (${run.trigger})${run.reason ? `: ${run.reason}` : ''}`);
      ctx.io.out(renderTable(['status', 'check', 'account/region', 'resource', 'what'], results.map((r) => [r.status.toUpperCase(), r.checkId, `${r.accountId}\n${r.region}`, r.name, wrap(r.message, 70)])));
    });

  return check;
}

export function sortResults(results: CheckResult[]): CheckResult[] {
  const order = { fail: 0, error: 1, pass: 2, manual: 3, not_applicable: 4 };
  return [...results].sort((a, b) => order[a.status] - order[b.status] || a.checkId.localeCompare(b.checkId) || a.accountId.localeCompare(b.accountId) || a.region.localeCompare(b.region) || a.name.localeCompare(b.name));
}

function printTable(ctx: CommandContext, results: CheckResult[], counts: Record<string, number>, runId: string, store: string): void {
  const problems = results.filter((r) => r.status === 'fail' || r.status === 'error');
  if (problems.length > 0) {
    ctx.io.out(renderTable(['status', 'check', 'account/region', 'resource', 'what', 'runbook'], problems.map((r) => [r.status.toUpperCase(), r.checkId, `${r.accountId}\n${r.region}`, r.name, wrap(r.message, 70), r.status === 'fail' ? r.remediation : ''])));
  }
  const perCheck = new Map<string, Record<string, number>>();
  for (const r of results) {
    const row = perCheck.get(r.checkId) ?? { pass: 0, fail: 0, error: 0, not_applicable: 0 };
    row[r.status] = (row[r.status] ?? 0) + 1;
    perCheck.set(r.checkId, row);
  }
  ctx.io.out(renderTable(['check', 'pass', 'fail', 'error', 'n/a'], [...perCheck.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, c]) => [id, c['pass'], c['fail'], c['error'], c['not_applicable']])));
  ctx.io.out(`${results.length} results: ${counts['pass']} pass, ${counts['fail']} fail, ${counts['error']} error, ${counts['not_applicable']} not applicable. Run ${runId} stored in the ${store} store.`);
}

function wrap(text: string, width: number): string {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

const CSV_COLUMNS = ['checkId', 'severity', 'status', 'accountId', 'region', 'name', 'resource', 'message', 'remediation', 'evaluatedAt'] as const;

function csvCell(value: unknown): string {
  const text = value === undefined ? '' : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(results: CheckResult[]): string {
  return [CSV_COLUMNS.join(','), ...results.map((r) => CSV_COLUMNS.map((c) => csvCell(r[c])).join(','))].join('\n');
}
