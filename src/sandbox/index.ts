/**
 * `vigil sandbox`: a local platform speaking the real wire protocols of AWS, Vault, Slack, PagerDuty
 * and Statuspage. Nothing outside src/sandbox/ imports this module except the CLI that starts it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock } from '../core/clock.js';
import { aws } from './aws/index.js';
import { seedIam } from './aws/iam.js';
import { seedEc2 } from './aws/ec2.js';
import { seedRds } from './aws/rds.js';
import { seedS3 } from './aws/s3.js';
import { seedGuardDuty } from './aws/guardduty.js';
import { seedCloudTrail } from './aws/cloudtrail.js';
import { seedAccounts } from './aws/sts.js';
import { createCertificates, type Certificates } from './certs.js';
import type { Emulator } from './http-types.js';
import { inspection, type SandboxInfo } from './inspect.js';
import { pagerduty, seedPagerDuty } from './pagerduty.js';
import { loadScenario, type Scenario } from './scenario.js';

export { DEMO_SCENARIO_URL } from './scenario.js';
import { createHandler, listen, type Listener } from './server.js';
import { seedSite, site } from './site.js';
import { seedSlack, slack } from './slack.js';
import { seedStatuspage, statuspage } from './statuspage.js';
import { seedVault, vault } from './vault.js';
import { World } from './world.js';

export interface SandboxOptions {
  /** A parsed scenario or the path of a scenario YAML file. */
  scenario: Scenario | string;
  host?: string;
  /** HTTP port for AWS, Vault, Slack, Statuspage and /_sandbox/ (0 picks a free one). */
  port?: number;
  /** HTTPS port for PagerDuty (0 picks a free one). */
  tlsPort?: number;
  clock?: Clock;
  /** Where to write the generated CA certificate; defaults to a temporary directory. */
  stateDir?: string;
  /** More emulators after the built-in ones, e.g. the benchmark estates' `/_sandbox/estate` view. */
  extraEmulators?: Emulator[];
}

export interface Sandbox {
  world: World;
  scenario: Scenario;
  info: SandboxInfo;
  /** PEM of the CA that signed the PagerDuty TLS certificate. */
  caCertPem: string;
  stop(): Promise<void>;
}

/** Order matters: the first emulator that claims a request answers it. */
const EMULATORS: Emulator[] = [aws, slack, statuspage, vault, pagerduty, site];

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const scenario = typeof options.scenario === 'string' ? loadScenario(options.scenario) : options.scenario;
  const host = options.host ?? '127.0.0.1';
  const world = new World(options.clock ?? systemClock);
  world.faults.set(scenario.faults);

  const certs: Certificates = await createCertificates(host);
  let info: SandboxInfo | undefined;
  const emulators = [...EMULATORS, ...(options.extraEmulators ?? [])];
  const inspect = inspection(world, emulators, () => info as SandboxInfo);
  const handler = createHandler(world, emulators, inspect);

  const listeners: Listener[] = [];
  try {
    const http = await listen(handler, { host, port: options.port ?? 4566, name: 'sandbox HTTP' });
    listeners.push(http);
    const tls = await listen(handler, { host, port: options.tlsPort ?? (options.port ? options.port + 1 : 0), name: 'sandbox PagerDuty (HTTPS)', tls: certs.server });
    listeners.push(tls);

    const base = `http://${host}:${http.port}`;
    let caCertFile: string | undefined;
    if (options.stateDir) {
      mkdirSync(options.stateDir, { recursive: true });
      caCertFile = join(options.stateDir, 'sandbox-ca.pem');
      writeFileSync(caCertFile, certs.caCertPem);
    }
    info = {
      name: scenario.name,
      awsEndpoint: base,
      vaultAddr: base,
      slackApiUrl: `${base}/api/`,
      statuspageApiUrl: `${base}/v1`,
      pagerdutyServer: `${host}:${tls.port}`,
      siteUrl: `${base}/site`,
      caCertFile,
    };

    seedAccounts(world, scenario);
    seedIam(world, scenario);
    seedEc2(world, scenario);
    seedS3(world, scenario);
    seedGuardDuty(world, scenario);
    seedCloudTrail(world, scenario);
    await seedRds(world, scenario);
    seedVault(world, scenario);
    seedSlack(world, scenario);
    seedPagerDuty(world, scenario);
    seedStatuspage(world, scenario);
    seedSite(world, scenario);
  } catch (err) {
    for (const l of listeners) await l.close();
    await world.close();
    throw err;
  }

  return {
    world,
    scenario,
    info,
    caCertPem: certs.caCertPem,
    stop: async () => {
      for (const l of listeners) await l.close();
      await world.close();
    },
  };
}

/** The environment that points the AWS SDK (and the CLI) at this sandbox with the scenario's first key. */
export function sandboxEnv(sandbox: Sandbox): Record<string, string> {
  const env: Record<string, string> = { AWS_ENDPOINT_URL: sandbox.info.awsEndpoint };
  const key = sandbox.scenario.accounts.flatMap((a) => a.accessKeys)[0];
  if (key) {
    env['AWS_ACCESS_KEY_ID'] = key.accessKeyId;
    env['AWS_SECRET_ACCESS_KEY'] = key.secretAccessKey;
  }
  env['AWS_REGION'] = 'us-east-1';
  env['VAULT_ADDR'] = sandbox.info.vaultAddr;
  const token = sandbox.scenario.vault?.tokens[0]?.token;
  if (token) env['VAULT_TOKEN'] = token;
  return env;
}
