import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import type { Sandbox } from '../../sandbox/index.js';
import type { CommandContext } from '../context.js';
import { outputOption, printJson } from '../output.js';
import { parsePort } from '../parse.js';

export function sandboxCommand(ctx: CommandContext): Command {
  return new Command('sandbox')
    .description('start the local platform that speaks the AWS, Vault, Slack, PagerDuty and Statuspage protocols')
    .option('--scenario <file>', 'scenario YAML to seed the world from (default: the Coursecraft demo)')
    .addOption(new Option('--port <n>', 'HTTP port for AWS, Vault, Slack, Statuspage and /_sandbox/ (PagerDuty HTTPS uses the next one)').argParser(parsePort).default(4566))
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--state-dir <dir>', 'where to write the sandbox CA certificate (default: <data dir>/sandbox)')
    .addOption(outputOption())
    .action(async (opts: { scenario?: string; port: number; host: string; stateDir?: string; output: 'table' | 'json' }, command: Command) => {
      const { dataDir } = ctx.globals(command);
      const stateDir = resolve(opts.stateDir ?? join(dataDir ?? ctx.env['VIGIL_DATA_DIR'] ?? '.vigil', 'sandbox'));
      const { startSandbox, sandboxEnv, DEMO_SCENARIO_URL } = await import('../../sandbox/index.js');
      const scenario = opts.scenario ?? fileURLToPath(DEMO_SCENARIO_URL);
      const sandbox = await startSandbox({ scenario, port: opts.port, host: opts.host, stateDir });
      if (opts.output === 'json') printJson(ctx.io, { ...sandbox.info, env: sandboxEnv(sandbox) });
      else ctx.io.out(describeSandbox(sandbox, sandboxEnv(sandbox)));
      await waitForSignal();
      ctx.io.err('vigil sandbox: stopping');
      await sandbox.stop();
    });
}

export function describeSandbox(sandbox: Sandbox, env: Record<string, string>): string {
  const { info } = sandbox;
  return [
    `Vigil sandbox "${info.name}" is running.`,
    `  AWS (all services)  ${info.awsEndpoint}`,
    `  Vault               ${info.vaultAddr}`,
    `  Slack Web API       ${info.slackApiUrl}`,
    `  Statuspage API      ${info.statuspageApiUrl}`,
    `  PagerDuty Events    https://${info.pagerdutyServer}${info.caCertFile ? `  (CA certificate: ${info.caCertFile})` : ''}`,
    `  Inspection          ${info.awsEndpoint}/_sandbox/`,
    '',
    'Point Vigil, the AWS CLI or any SDK at it:',
    ...Object.entries(env).map(([k, v]) => `  export ${k}=${v}`),
    '',
    'Press Ctrl-C to stop.',
  ].join('\n');
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
