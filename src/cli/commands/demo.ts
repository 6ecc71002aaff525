/**
 * `vigil demo`: start the sandbox with the Coursecraft scenario, point Vigil at it through configuration
 * and the standard environment variables only, and run everything Vigil can do so far, each step as the
 * separate `vigil` process a user would run.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../errors.js';
import { describeSandbox } from './sandbox.js';

/**
 * The demo's config: what a user of the Coursecraft platform would write for real AWS. Only the
 * integration endpoints point at the sandbox, and the secrets come from its Vault by reference.
 */
export function demoConfig(info: { slackApiUrl: string; statuspageApiUrl: string; pagerdutyServer: string; siteUrl: string; caCertFile?: string }): string {
  return `# Written by \`vigil demo\`: Vigil's configuration for the Coursecraft demo platform.
version: 1
accounts:
  - id: "222222222222"
    name: coursecraft-production
    roleArn: arn:aws:iam::222222222222:role/VigilAudit
    externalId: vigil-demo
    regions: [us-east-1, us-west-2]
    drRegion: us-west-2
  - id: "333333333333"
    name: coursecraft-staging
    roleArn: arn:aws:iam::333333333333:role/VigilAudit
    externalId: vigil-demo
    regions: [us-east-1]
scope:
  include:
    - env: production
drills:
  # The sandbox restores in seconds; real RDS takes many minutes, so the default is 15 s.
  pollIntervalSeconds: 1
incidents:
  # Where this repository's runbooks are published; pages and Slack messages link to them.
  runbookBaseUrl: https://github.com/vigil-dev/vigil/blob/main/
service:
  statusPageTitle: Coursecraft status
  components: [SCORM Cloud Website, SCORM Cloud API, Content Delivery, Reporting]
  # The demo serves plain HTTP on loopback; behind TLS leave this on.
  secureCookie: false
# The platform's public endpoints: probes set the status page's components and raise probe-failed signals.
probes:
  - { name: website, url: ${info.siteUrl}/app.coursecraft.example/health, component: SCORM Cloud Website, expectText: ok }
  - { name: api, url: ${info.siteUrl}/api.coursecraft.example/v1/health, component: SCORM Cloud API, slowAfter: 2s }
  - { name: content, url: ${info.siteUrl}/content.coursecraft.example/status, component: Content Delivery }
integrations:
  slack:
    token: vault:secret/data/vigil#slack_token
    channel: "#incidents"
    mention: "<!here>"
    apiUrl: ${info.slackApiUrl}
  pagerduty:
    routingKey: vault:secret/data/vigil#pagerduty_routing_key
    server: ${info.pagerdutyServer}
${info.caCertFile ? `    caFile: ${info.caCertFile}\n` : ''}  statuspage:
    apiKey: vault:secret/data/vigil#statuspage_api_key
    pageId: cc-status
    apiUrl: ${info.statuspageApiUrl}
`;
}

interface Step {
  title: string;
  args: string[];
}

const STEPS: Step[] = [
  { title: 'Validate the configuration', args: ['config', 'check'] },
  { title: 'Reach every account and region', args: ['accounts', 'verify'] },
  { title: 'Check backups, retention, redundancy and exposure against the promises', args: ['check', 'run', '--reason', 'vigil demo'] },
  { title: 'Have we done a test restore this week?', args: ['drill', 'due'] },
  { title: 'If not, do one now: restore, query the data, measure RTO and RPO, tear down', args: ['drill', 'run', '--due', '--reason', 'vigil demo: weekly test restore'] },
  { title: 'The drill record, as an auditor sees it', args: ['drill', 'list'] },
  { title: 'Probe the public endpoints: status-page components and daily uptime', args: ['probe', 'run'] },
  {
    title: 'The failed drill, critical checks, GuardDuty findings and CloudTrail events became incidents: classified, paged, posted to Slack and the status page',
    args: ['incident', 'list'],
  },
  { title: 'Open incidents and their SLA clocks (Sev2: work within 2 h, temporary fix 48 h, final 14 d)', args: ['incident', 'sla'] },
];

export function demoCommand(ctx: CommandContext): Command {
  return new Command('demo')
    .description('start the sandbox with the demo scenario and run everything Vigil can do against it')
    .option('--keep-running', 'leave the sandbox running when the demo is done (Ctrl-C to stop)')
    .option('--serve [port]', 'then run `vigil serve` against the sandbox (default port 8080) until Ctrl-C: status page, overview, API')
    .action(async (opts: { keepRunning?: boolean; serve?: string | boolean }, command: Command) => {
      const { dataDir: flag } = ctx.globals(command);
      const dataDir = resolve(flag ?? ctx.env['VIGIL_DATA_DIR'] ?? '.vigil');
      const demoDir = join(dataDir, 'demo');
      mkdirSync(demoDir, { recursive: true });
      const configFile = join(demoDir, 'vigil.config.yaml');

      const { startSandbox, sandboxEnv, DEMO_SCENARIO_URL } = await import('../../sandbox/index.js');
      const sandbox = await startSandbox({ scenario: fileURLToPath(DEMO_SCENARIO_URL), port: 0, tlsPort: 0, stateDir: join(demoDir, 'sandbox') });
      try {
        writeFileSync(configFile, demoConfig(sandbox.info));
        ctx.io.err(describeSandbox(sandbox, sandboxEnv(sandbox)).replace('\n\nPress Ctrl-C to stop.', ''));
        const env = { ...ctx.env, ...sandboxEnv(sandbox), VIGIL_CONFIG: configFile, VIGIL_DATA_DIR: dataDir };
        const outcomes: Array<{ step: Step; code: number }> = [];
        for (const step of [...STEPS, maintenanceStep(new Date()), ...evidenceSteps(new Date(), demoDir)]) {
          ctx.io.err(`\n== ${step.title}\n$ vigil ${step.args.join(' ')}`);
          outcomes.push({ step, code: await runVigil(step.args, env) });
        }
        ctx.io.err('\n== Demo summary');
        for (const { step, code } of outcomes) ctx.io.err(`  ${code === 0 ? 'ok  ' : `exit ${code}`}  vigil ${step.args.join(' ')}`);
        ctx.io.err(`\nConfiguration: ${configFile}\nState store:   ${join(dataDir, 'vigil.db')}`);
        // A step that found failures (exit 1) is the demo working; anything else means it broke.
        const broken = outcomes.filter((o) => o.code !== ExitCode.Ok && o.code !== ExitCode.Failed);
        ctx.exitCode = broken.length > 0 ? ExitCode.Internal : ExitCode.Ok;
        if (opts.serve !== undefined) {
          const port = typeof opts.serve === 'string' ? opts.serve : '8080';
          ctx.io.err(`\n== The service: schedules, status page at http://127.0.0.1:${port}/, overview at /overview (sign in with a token)`);
          ctx.io.err(`$ vigil token create --name demo-oncall --role oncall --reason "vigil demo"`);
          await runVigil(['token', 'create', '--name', `demo-${Date.now().toString(36)}`, '--role', 'oncall', '--reason', 'vigil demo'], env);
          ctx.io.err(`$ vigil serve --port ${port}    (Ctrl-C to stop)`);
          await runVigil(['serve', '--port', port], env);
        } else if (opts.keepRunning) {
          ctx.io.err(`\nThe sandbox keeps running; inspect it at ${sandbox.info.awsEndpoint}/_sandbox/. Ctrl-C to stop.`);
          await new Promise<void>((done) => process.once('SIGINT', () => done()));
        }
      } finally {
        await sandbox.stop();
      }
    });
}

/** The auditor's view of the run: the ledger verified, then today's ISO 27001 report as a bundle. */
function evidenceSteps(now: Date, demoDir: string): Step[] {
  const day = now.toISOString().slice(0, 10);
  const out = join(demoDir, `report-${now.toISOString().replace(/[:.]/g, '-')}`);
  return [
    { title: 'Is the evidence intact? Recompute the ledger\'s hash chain', args: ['evidence', 'verify'] },
    {
      title: 'The ISO/IEC 27001:2022 evidence report for today, with the raw evidence, OSCAL and a manifest of hashes',
      args: ['report', 'iso27001', '--from', day, '--to', day, '--out', out],
    },
    { title: 'An auditor checks the bundle independently', args: ['report', 'verify-bundle', out] },
  ];
}

/** Maintenance two days out: the seeds ask for 24 hours' notice. */
function maintenanceStep(now: Date): Step {
  const start = new Date(Math.ceil((now.getTime() + 48 * 3600_000) / 3600_000) * 3600_000);
  const end = new Date(start.getTime() + 2 * 3600_000);
  return {
    title: 'Announce maintenance at least 24 h ahead, on the status page',
    args: ['maintenance', 'schedule', '--start', start.toISOString(), '--end', end.toISOString(), '--components', 'SCORM Cloud API', '--reason', 'PostgreSQL minor version upgrade'],
  };
}

/** Runs `vigil ARGS` as its own process, the way a user would, with output passed through. */
function runVigil(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1] as string, ...args], { env, stdio: 'inherit' });
    child.on('error', fail);
    child.on('exit', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}
