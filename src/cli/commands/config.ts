import { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfigFile, vaultFromSettings } from '../../app.js';
import { VaultSecretReader } from '../../adapters/vault.js';
import { displayConfig, resolveSecrets } from '../../config/load.js';
import type { CommandContext } from '../context.js';
import { outputOption, printJson } from '../output.js';

export function configCommand(ctx: CommandContext): Command {
  const config = new Command('config').description('validate and show the configuration');

  config
    .command('check')
    .description('validate vigil.config.yaml (and the severity rules file it names), resolve its Vault references, and print the effective config with secrets masked')
    .option('--no-resolve', 'validate only; do not contact Vault')
    .addOption(outputOption(['yaml', 'json']).default('yaml'))
    .action(async (opts: { resolve: boolean; output: 'yaml' | 'json' }, command: Command) => {
      const { config: file } = ctx.globals(command);
      const loaded = loadConfigFile({ configFile: file, env: ctx.env });
      // The severity rules file is part of the configuration: a broken one fails the check here, not at 3 a.m.
      const { incidentSettings } = await import('../../incidents/settings.js');
      incidentSettings(loaded.config, loaded.file);
      if (opts.resolve) {
        const vault = vaultFromSettings(loaded.config, ctx.env);
        await resolveSecrets(loaded, vault ? new VaultSecretReader(vault) : undefined);
      }
      const shown = displayConfig(loaded);
      const note = `${loaded.file}: valid; ${loaded.references.length} Vault reference(s) ${opts.resolve ? 'resolved' : 'not resolved (--no-resolve)'}`;
      if (opts.output === 'json') {
        printJson(ctx.io, { file: loaded.file, valid: true, vaultReferences: loaded.references.length, resolved: opts.resolve, config: shown });
        return;
      }
      ctx.io.err(note);
      ctx.io.out(stringify(shown).trimEnd());
    });

  return config;
}
