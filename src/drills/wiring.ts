/**
 * The drill's adapters built from the app: the CLI and the service run drills with the same parts.
 * Adapters load lazily, so commands that never drill never load the RDS, S3 or database clients.
 */
import type { App } from '../app.js';
import { PROJECT_ROOT } from '../core/paths.js';
import type { DrillDefinition } from './definitions.js';
import type { DrillDeps } from './run.js';
import type { SweepOutcome } from './sweep.js';

/** Resolves after `ms`, or at once when `signal` aborts while it waits. */
export function abortableSleep(signal?: AbortSignal): (ms: number) => Promise<void> {
  return (ms) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
}

export async function createDrillDeps(app: App, signal?: AbortSignal): Promise<DrillDeps> {
  const [{ AwsDrillPlatform }, { AwsS3DrillPlatform }, { EngineConnector }, { ZxScriptRunner }, { VaultCredentialSource }] = await Promise.all([
    import('../adapters/aws/rds-drill.js'),
    import('../adapters/aws/s3-drill.js'),
    import('../adapters/databases.js'),
    import('../adapters/scripts.js'),
    import('../adapters/vault.js'),
  ]);
  const vault = app.vault();
  return {
    config: app.config,
    platform: new AwsDrillPlatform(app.aws()),
    s3: new AwsS3DrillPlatform(app.aws()),
    credentials: vault ? new VaultCredentialSource(vault) : undefined,
    connector: new EngineConnector({ caFile: app.config.drills.tlsCaFile }),
    scripts: new ZxScriptRunner(PROJECT_ROOT),
    store: app.store(),
    clock: app.clock,
    sleep: abortableSleep(signal),
    root: PROJECT_ROOT,
    ...(signal ? { signal } : {}),
  };
}

/** Deletes what crashed drills left behind and records those drills as aborted. */
export async function sweepDrillOrphans(app: App, definitions: DrillDefinition[] | undefined): Promise<SweepOutcome> {
  const [{ sweepOrphans }, { AwsDrillPlatform }, { AwsS3DrillPlatform }] = await Promise.all([
    import('./sweep.js'),
    import('../adapters/aws/rds-drill.js'),
    import('../adapters/aws/s3-drill.js'),
  ]);
  return sweepOrphans({ config: app.config, platform: new AwsDrillPlatform(app.aws()), s3: new AwsS3DrillPlatform(app.aws()), definitions, store: app.store(), clock: app.clock });
}
