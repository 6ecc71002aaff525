#!/usr/bin/env node
/** The `vigil` command: a thin commander program over the core; the only place that exits. */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { accountsCommand } from './commands/accounts.js';
import { checkCommand } from './commands/check.js';
import { clusterCommand } from './commands/cluster.js';
import { configCommand } from './commands/config.js';
import { demoCommand } from './commands/demo.js';
import { drillCommand } from './commands/drill.js';
import { evidenceCommand } from './commands/evidence.js';
import { attestCommand, waiveCommand } from './commands/evidence-records.js';
import { incidentCommand } from './commands/incident.js';
import { maintenanceCommand } from './commands/maintenance.js';
import { probeCommand } from './commands/probe.js';
import { reportCommand } from './commands/report.js';
import { iamPolicyCommand } from './commands/iam-policy.js';
import { sandboxCommand } from './commands/sandbox.js';
import { serveCommand } from './commands/serve.js';
import { scheduleCommand } from './commands/schedule.js';
import { tokenCommand } from './commands/token.js';
import { applyHeapPolicy } from '../core/heap.js';
import { createContext, type CommandContext } from './context.js';
import { ExitCode, reportError } from './errors.js';
import { processIo, type Io } from './output.js';

// The SDK warns on every run that its releases after January 2027 will need Node 22. The version in our
// lockfile supports Node 20, so the notice is for whoever upgrades it (see README), not for operators.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(ctx: CommandContext): Command {
  const program = new Command('vigil')
    .description('Vigil keeps an AWS-hosted SaaS platform honest about its operations and security promises, and proves it to auditors.')
    .version(pkg.version, '-V, --version')
    .option('-c, --config <file>', 'configuration file (default: $VIGIL_CONFIG or ./vigil.config.yaml)')
    .option('--data-dir <dir>', 'state store directory (default: $VIGIL_DATA_DIR, the config\'s dataDir, or ./.vigil)')
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => ctx.io.out(s.trimEnd()), writeErr: (s) => ctx.io.err(s.trimEnd()) });

  for (const command of [configCommand(ctx), accountsCommand(ctx), checkCommand(ctx), drillCommand(ctx), incidentCommand(ctx), maintenanceCommand(ctx), probeCommand(ctx), reportCommand(ctx), evidenceCommand(ctx), attestCommand(ctx), waiveCommand(ctx), iamPolicyCommand(ctx), scheduleCommand(ctx), serveCommand(ctx), clusterCommand(ctx), tokenCommand(ctx), sandboxCommand(ctx), demoCommand(ctx)]) program.addCommand(command);

  // Commander's usage errors exit 1 by default; bad input is 2 here, everywhere.
  const strict = (command: Command) => {
    command.exitOverride().allowExcessArguments(false);
    for (const sub of command.commands) strict(sub);
  };
  strict(program);
  return program;
}

export async function run(argv: string[], io: Io = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const ctx = createContext(io, env);
  const program = buildProgram(ctx);
  const json = argv.some((a, i) => (a === '--output' || a === '-o') && argv[i + 1] === 'json') || argv.includes('--output=json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here too, successfully.
      if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.Ok;
      if (err.code === 'commander.help' || err.code === 'commander.executeSubCommandAsync') return ExitCode.Ok;
      return ExitCode.BadInput;
    }
    return reportError(err, io, json);
  } finally {
    await ctx.close();
  }
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  applyHeapPolicy();
  const code = await run(process.argv.slice(2));
  // Exit explicitly: a keep-alive socket left by a client library must not keep the CLI alive.
  process.exit(code);
}
