import { Command } from 'commander';
import type { CommandContext } from '../context.js';

export function iamPolicyCommand(ctx: CommandContext): Command {
  return new Command('iam-policy')
    .description('print the least-privilege IAM policy Vigil\'s audit role needs (read-only; --with-drills adds tag-limited drill statements)')
    .option('--with-drills', 'add the statements restore drills need, limited to resources tagged vigil:managed-by=vigil')
    .action(async (opts: { withDrills?: boolean }) => {
      const { vigilPolicy } = await import('../../adapters/aws/policy.js');
      const { loadDrillDefinitions } = await import('../../drills/definitions.js');
      const { PROJECT_ROOT } = await import('../../core/paths.js');
      const s3Drills = opts.withDrills ? loadDrillDefinitions(PROJECT_ROOT).filter((d) => d.source.kind === 's3-bucket') : [];
      ctx.io.out(JSON.stringify(vigilPolicy({ withDrills: Boolean(opts.withDrills), s3Drills: s3Drills as never }), null, 2));
    });
}
