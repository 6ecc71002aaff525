/**
 * Composition root: config -> adapters -> services. No logic lives here; commands ask for what they
 * need and everything is built lazily, so `vigil --help` touches neither AWS, Vault nor the store.
 */
import { resolve } from 'node:path';
import type { AwsClients } from './adapters/aws/clients.js';
import { createVaultClient, VaultSecretReader, type VaultClient } from './adapters/vault.js';
import { configPath, readConfig, resolveSecrets, type LoadedConfig } from './config/load.js';
import type { VigilConfig } from './config/schema.js';
import { systemClock, type Clock } from './core/clock.js';
import { createLogger, type Logger } from './core/log.js';
import { openStore } from './store/open.js';
import type { Store } from './store/types.js';

export interface AppOptions {
  configFile?: string;
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  logger?: Logger;
}

export interface App {
  loaded: LoadedConfig;
  config: VigilConfig;
  clock: Clock;
  logger: Logger;
  dataDir: string;
  store(): Store;
  aws(): AwsClients;
  vault(): VaultClient | undefined;
  close(): Promise<void>;
}

/** Reads and validates the config; no network. */
export function loadConfigFile(options: AppOptions): LoadedConfig {
  return readConfig(configPath(options.configFile, options.env ?? process.env));
}

/** The Vault client from config or VAULT_ADDR/VAULT_TOKEN, if either names one. */
export function vaultFromSettings(config: VigilConfig, env: NodeJS.ProcessEnv): VaultClient | undefined {
  const settings = config.integrations.vault;
  const address = settings?.address ?? env['VAULT_ADDR'];
  const token = settings?.token ?? env['VAULT_TOKEN'];
  if (!address || !token) return undefined;
  return createVaultClient({ address, token, namespace: settings?.namespace ?? env['VAULT_NAMESPACE'], caFile: settings?.caFile ?? env['VAULT_CACERT'] });
}

/** Builds the app: config with secrets resolved; store, AWS and Vault built on first use. */
export async function createApp(options: AppOptions): Promise<App> {
  const env = options.env ?? process.env;
  const loaded = loadConfigFile(options);
  const vault = vaultFromSettings(loaded.config, env);
  const config = await resolveSecrets(loaded, vault ? new VaultSecretReader(vault) : undefined);
  const dataDir = resolve(options.dataDir ?? env['VIGIL_DATA_DIR'] ?? config.dataDir ?? '.vigil');
  const logger = options.logger ?? createLogger();
  let store: Store | undefined;
  let aws: AwsClients | undefined;
  // The SDK clients are heavy to load; only commands that reach AWS pay for them.
  const { AwsClients: Clients } = await import('./adapters/aws/clients.js');
  return {
    loaded,
    config,
    clock: options.clock ?? systemClock,
    logger,
    dataDir,
    store: () => (store ??= openStore(config, { dataDir, configFile: loaded.file, locate: loaded.locate })),
    aws: () => (aws ??= new Clients(config.aws, env)),
    vault: () => vault,
    close: async () => {
      aws?.destroy();
      await store?.close();
    },
  };
}
