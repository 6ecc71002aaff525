/** Running a drill's custom verification script with zx: the endpoint and credentials in its environment. */
import { $ } from 'zx';
import type { ScriptRunner } from '../drills/ports.js';

export class ZxScriptRunner implements ScriptRunner {
  constructor(private readonly root: string) {}

  async run(script: string, env: Record<string, string>, timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    // cwd is passed per call: zx's cd() would change it for the whole process (zx #876).
    const result = await $({ cwd: this.root, env: { ...process.env, ...env }, nothrow: true, quiet: true, timeout: timeoutMs })`${process.execPath} ${script}`;
    const output = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-20).join('\n');
    return { exitCode: result.exitCode ?? 1, output };
  }
}
