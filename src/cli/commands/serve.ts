import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { parsePort } from '../parse.js';

export function serveCommand(ctx: CommandContext): Command {
  return new Command('serve')
    .description('run the schedules, the API (/api/v1), /metrics and the web pages (status page at /, staff overview at /overview) until SIGTERM')
    .option('--host <host>', 'listen address (default: service.host, 127.0.0.1)')
    .option('--port <port>', 'listen port (default: service.port, 8080; 0 picks a free one)', parsePort)
    .option('--schedules <dir>', 'the schedules directory (default: schedules/)')
    .action(async (opts: { host?: string; port?: number; schedules?: string }, command: Command) => {
      const app = await ctx.app(command);
      const { startService } = await import('../../service/serve.js');
      const service = await startService(app, { ...(opts.host ? { host: opts.host } : {}), ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.schedules ? { schedulesDir: opts.schedules } : {}) });
      ctx.io.err(`vigil serve: ${service.url} (status page /, overview /overview, API /api/v1, metrics /metrics); ${service.schedules.filter((s) => s.enabled).length} schedules running`);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      });
      ctx.io.err(`vigil serve: ${signal}: stopping (running jobs are told to stop; drills tear down)`);
      await service.stop();
      ctx.io.err('vigil serve: stopped');
    });
}
