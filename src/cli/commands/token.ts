import { Command } from 'commander';
import { ConfigError, type Problem } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';
import { ROLES, ROLE_DESCRIPTIONS, isRole } from '../../service/roles.js';
import type { ApiToken } from '../../store/token-types.js';
import type { CommandContext } from '../context.js';
import { outputOption, printJson, renderTable } from '../output.js';
import { actorOf } from './incident.js';

type Output = { output: 'table' | 'json' };

function reasonProblems(reason: string | undefined): Problem[] {
  return reason?.trim() ? [] : [{ file: 'argument --reason', path: '', message: 'say why; it is recorded with the token and your name' }];
}

/** The service's problems name token fields; at the CLI they are flags. */
function asFlags(err: unknown): never {
  if (err instanceof ConfigError) throw new ConfigError(err.problems.map((p) => (p.file === 'token' ? { ...p, file: `argument --${p.path}`, path: '' } : p)));
  throw err;
}

export function tokenCommand(ctx: CommandContext): Command {
  const token = new Command('token').description(`API tokens for \`vigil serve\`; roles: ${ROLES.join(', ')}`);

  token
    .command('create')
    .description('create a token; it is printed once and only its hash is kept')
    .option('--name <name>', 'a name for whoever uses it, e.g. prometheus or alice; recorded as api:<name> with every change it makes')
    .option('--role <role>', ROLES.map((r) => `${r} (${ROLE_DESCRIPTIONS[r]})`).join('; '))
    .option('--reason <text>', 'why it is needed (required)')
    .option('--actor <name>', 'who you are (default: $VIGIL_ACTOR or $USER)')
    .addOption(outputOption())
    .action(async (opts: Output & { name?: string; role?: string; reason?: string; actor?: string }, command: Command) => {
      const problems = reasonProblems(opts.reason);
      if (!opts.name?.trim()) problems.push({ file: 'argument --name', path: '', message: 'name the token' });
      if (!opts.role || !isRole(opts.role)) problems.push({ file: 'argument --role', path: '', message: `expected one of ${ROLES.join(', ')}${opts.role ? `, got "${opts.role}"` : ''}` });
      if (problems.length > 0) throw new ConfigError(problems);
      const app = await ctx.app(command);
      const { createToken } = await import('../../service/tokens.js');
      const created = await createToken(app.store().tokens, { name: opts.name as string, role: opts.role as string }, { actor: actorOf(ctx, opts.actor), reason: opts.reason as string, clock: app.clock }).catch(asFlags);
      // Shown once, before it is registered with the redactor (which would print it as ****).
      if (opts.output === 'json') printJson(ctx.io, { token: created.token, record: created.record });
      else {
        ctx.io.out(created.token);
        ctx.io.err(`token ${created.record.name} (role ${created.record.role}) created. It is shown only this once: Vigil keeps only its hash.`);
        ctx.io.err('Send it as "Authorization: Bearer <token>".');
      }
      registerSecret(created.token);
    });

  token
    .command('list')
    .description('tokens, live and revoked (never the tokens themselves)')
    .addOption(outputOption())
    .action(async (opts: Output, command: Command) => {
      const app = await ctx.app(command);
      const tokens = await app.store().tokens.listTokens();
      if (opts.output === 'json') return printJson(ctx.io, tokens);
      if (tokens.length === 0) return ctx.io.out('no tokens; `vigil token create --name NAME --role ROLE --reason TEXT` makes one');
      ctx.io.out(
        renderTable(
          ['name', 'role', 'status', 'created', 'by', 'reason', 'last used'],
          tokens.map((t) => [t.name, t.role, status(t), t.createdAt, t.createdBy, t.reason, t.lastUsedAt ?? 'never']),
        ),
      );
    });

  token
    .command('revoke')
    .description('revoke a token; its next request is refused')
    .argument('<name>', 'the token\'s name')
    .option('--reason <text>', 'why (required)')
    .option('--actor <name>', 'who you are (default: $VIGIL_ACTOR or $USER)')
    .addOption(outputOption())
    .action(async (name: string, opts: Output & { reason?: string; actor?: string }, command: Command) => {
      const problems = reasonProblems(opts.reason);
      if (problems.length > 0) throw new ConfigError(problems);
      const app = await ctx.app(command);
      const { revokeToken } = await import('../../service/tokens.js');
      const revoked = await revokeToken(app.store().tokens, name, { actor: actorOf(ctx, opts.actor), reason: opts.reason as string, clock: app.clock }).catch(asFlags);
      if (opts.output === 'json') return printJson(ctx.io, revoked);
      ctx.io.out(`token ${revoked.name} revoked at ${revoked.revokedAt} by ${revoked.revokedBy}`);
    });

  return token;
}

function status(t: ApiToken): string {
  return t.revokedAt ? `revoked ${t.revokedAt} by ${t.revokedBy}: ${t.revokeReason}` : 'live';
}
