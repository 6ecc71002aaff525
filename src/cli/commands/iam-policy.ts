import { Command } from 'commander';
import type { CommandContext } from '../context.js';

export function iamPolicyCommand(ctx: CommandContext): Command {
  return new Command('iam-policy')
    .description('print the least-privilege IAM policy Vigil\'s audit role needs for the enabled checks (read-only; --with-drills adds tag-limited drill statements)')
    .option('--with-drills', 'add the statements restore drills need, limited to resources tagged vigil:managed-by=vigil')
    .action(async (opts: { withDrills?: boolean }) => {
      const { vigilPolicy } = await import('../../adapters/aws/policy.js');
      const { loadDrillDefinitions } = await import('../../drills/definitions.js');
      const { PROJECT_ROOT } = await import('../../core/paths.js');
      const { loadCheckDefinitions } = await import('../../checks/definitions.js');
      const { EVALUATORS } = await import('../../checks/registry.js');
      const { loadFrameworkControls } = await import('../../evidence/framework.js');
      const checks = loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS, knownControls: loadFrameworkControls(PROJECT_ROOT) })
        .filter((c) => c.enabled)
        .map((check) => ({ check, evaluator: EVALUATORS.get(check.evaluator) as NonNullable<ReturnType<typeof EVALUATORS.get>> }));
      const s3Drills = opts.withDrills ? loadDrillDefinitions(PROJECT_ROOT).filter((d) => d.source.kind === 's3-bucket') : [];
      ctx.io.out(JSON.stringify(vigilPolicy({ withDrills: Boolean(opts.withDrills), s3Drills: s3Drills as never, checks }), null, 2));
    });
}
