/** What every command receives: the global options, the IO, and a lazily built app. */
import type { Command } from 'commander';
import { createApp, type App } from '../app.js';
import type { Io } from './output.js';

export interface GlobalOptions {
  config?: string;
  dataDir?: string;
}

export interface CommandContext {
  io: Io;
  env: NodeJS.ProcessEnv;
  globals(command: Command): GlobalOptions;
  /** Config read and secrets resolved; store and clients built on first use. */
  app(command: Command): Promise<App>;
  /** The exit code the command settled on (default 0). */
  exitCode: number;
  close(): Promise<void>;
}

export function createContext(io: Io, env: NodeJS.ProcessEnv): CommandContext {
  const apps: App[] = [];
  const globals = (command: Command): GlobalOptions => command.optsWithGlobals<GlobalOptions>();
  return {
    io,
    env,
    globals,
    exitCode: 0,
    app: async (command) => {
      const { config, dataDir } = globals(command);
      const app = await createApp({ configFile: config, dataDir, env });
      apps.push(app);
      return app;
    },
    close: async () => {
      for (const app of apps.splice(0)) await app.close();
    },
  };
}
