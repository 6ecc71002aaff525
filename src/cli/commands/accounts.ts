import { Command } from 'commander';
import { ExternalServiceError } from '../../core/errors.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../errors.js';
import { outputOption, printJson, renderTable } from '../output.js';

interface AccountReach {
  account: string;
  name: string;
  identity?: string;
  regions: Array<{ region: string; status: string }>;
  ok: boolean;
  error?: string;
}

export function accountsCommand(ctx: CommandContext): Command {
  const accounts = new Command('accounts').description('the AWS accounts Vigil watches');

  accounts
    .command('verify')
    .description('assume the role in every account (configured, or discovered through AWS Organizations) and confirm each region answers')
    .addOption(outputOption())
    .action(async (opts: { output: 'table' | 'json' }, command: Command) => {
      const app = await ctx.app(command);
      const { callerIdentity, regionStatus } = await import('../../adapters/aws/identity.js');
      const { accountSource } = await import('../../adapters/aws/accounts.js');
      const results: AccountReach[] = [];
      // With discovery, the accounts Organizations reports; one that cannot be scanned is listed with why.
      const resolved = await accountSource(app.aws(), app.config).resolve();
      for (const { account, reason } of resolved.unavailable) {
        results.push({ account: account.id, name: account.name, regions: account.regions.map((region) => ({ region, status: 'unknown' })), ok: false, error: reason });
      }
      for (const account of resolved.accounts) {
        const reach: AccountReach = { account: account.id, name: account.name, regions: [], ok: true };
        try {
          const who = await callerIdentity(app.aws(), account);
          reach.identity = who.arn;
          if (who.account !== account.id) throw new Error(`the credentials belong to account ${who.account}, not ${account.id}`);
          for (const [region, status] of await regionStatus(app.aws(), account, account.regions)) {
            reach.regions.push({ region, status });
            if (status === 'not-opted-in' || status === 'unknown') reach.ok = false;
          }
        } catch (err) {
          reach.ok = false;
          reach.error = err instanceof ExternalServiceError || err instanceof Error ? err.message : String(err);
        }
        results.push(reach);
      }
      ctx.exitCode = results.every((r) => r.ok) ? ExitCode.Ok : ExitCode.NotEvaluated;
      if (opts.output === 'json') {
        printJson(ctx.io, results);
        return;
      }
      ctx.io.out(
        renderTable(
          ['account', 'name', 'identity', 'regions', 'status'],
          results.map((r) => [r.account, r.name, r.identity ?? '', r.regions.map((x) => `${x.region} (${x.status})`).join('\n'), r.ok ? 'ok' : `error: ${r.error ?? 'a region is not enabled'}`]),
        ),
      );
    });

  return accounts;
}
