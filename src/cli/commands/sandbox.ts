import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { resolve } from 'node:path';
import type { EstateProfile, EstateSandbox } from '../../sandbox/estates/index.js';
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
    .addOption(new Option('--estate <profile>', 'serve a generated benchmark estate instead of a scenario, with AWS rate limits and latency').choices(['S', 'M', 'L']).conflicts('scenario'))
    .addOption(new Option('--time-compression <k>', 'with --estate: AWS k times faster (every rate times k, every latency divided by k)').argParser(parseTimeCompression))
    .addOption(outputOption())
    .action(async (opts: { scenario?: string; port: number; host: string; stateDir?: string; estate?: EstateProfile; timeCompression?: number; output: 'table' | 'json' }, command: Command) => {
      if (opts.timeCompression !== undefined && !opts.estate) command.error("error: option '--time-compression <k>' needs --estate S, M or L", { exitCode: 2 });
      const { dataDir } = ctx.globals(command);
      const stateDir = resolve(opts.stateDir ?? join(dataDir ?? ctx.env['VIGIL_DATA_DIR'] ?? '.vigil', 'sandbox'));
      const { startSandbox, sandboxEnv, DEMO_SCENARIO_URL } = await import('../../sandbox/index.js');
      let estate: EstateSandbox | undefined;
      if (opts.estate) {
        const { startEstateSandbox } = await import('../../sandbox/estates/index.js');
        estate = await startEstateSandbox({ profile: opts.estate, timeCompression: opts.timeCompression ?? 1, port: opts.port, host: opts.host, stateDir });
      }
      const sandbox = estate?.sandbox ?? (await startSandbox({ scenario: opts.scenario ?? fileURLToPath(DEMO_SCENARIO_URL), port: opts.port, host: opts.host, stateDir }));
      if (opts.output === 'json') printJson(ctx.io, { ...sandbox.info, env: sandboxEnv(sandbox), ...(estate ? { estate: describeEstateJson(estate) } : {}) });
      else ctx.io.out(describeSandbox(sandbox, sandboxEnv(sandbox), estate ? describeEstate(estate) : undefined));
      await waitForSignal();
      ctx.io.err('vigil sandbox: stopping');
      await sandbox.stop();
    });
}

export function describeSandbox(sandbox: Sandbox, env: Record<string, string>, estate?: string): string {
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
    ...(estate ? [estate, ''] : []),
    'Press Ctrl-C to stop.',
  ].join('\n');
}

/** k for --time-compression: a positive number (10 runs AWS ten times faster). */
export function parseTimeCompression(value: string): number {
  const k = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(k > 0) || k > 1000) throw new InvalidArgumentError(`expected a number above 0 and at most 1000 (10 runs AWS ten times faster), got "${value}"`);
  return k;
}

function describeEstateJson(estate: EstateSandbox) {
  const { access } = estate.estate;
  const bound = estate.lowerBound();
  return {
    profile: estate.estate.profile,
    accounts: estate.estate.facts.accounts.length,
    timeCompression: estate.limiter.timeCompression,
    organization: { roleName: access.roleName, externalId: access.externalId, drRegion: access.drRegion },
    lowerBound: { seconds: bound.seconds, binding: bound.binding, minimumCalls: estate.model.totalCalls },
  };
}

export function describeEstate(estate: EstateSandbox): string {
  const e = describeEstateJson(estate);
  return [
    `Benchmark estate ${e.profile}: ${e.accounts} accounts in an organization, AWS at ${e.timeCompression}x (rates times ${e.timeCompression}, latency divided by ${e.timeCompression}).`,
    `  Discover them with organization: { discover: true, roleName: ${e.organization.roleName}, externalId: ${e.organization.externalId}, drRegion: ${e.organization.drRegion} }`,
    `  Lower bound T_LB for a complete scan: ${e.lowerBound.seconds.toFixed(1)} s (${e.lowerBound.binding.term} ${e.lowerBound.binding.name}), at least ${e.lowerBound.minimumCalls} calls`,
    `  Calls served and throttled per rate-limit scope: ${estate.sandbox.info.awsEndpoint}/_sandbox/estate`,
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
