import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('vigil sandbox', () => {
  it('refuses a malformed scenario with every problem, file and line, exit 2, nothing started', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-scenario-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      ['name: bad', 'accounts:', '  - id: "12"', '    name: prod', '    regions:', '      us-east-1:', '        rds:', '          instances:', '            - id: db', '              engine: oracle', '    colour: blue', ''].join('\n'),
    );

    const { code, stderr, stdout } = await runCli(['sandbox', '--scenario', file, '--port', '0']);

    expect(code).toBe(2);
    expect(stderr).toContain(`${file}:3: accounts[0].id: expected a 12-digit AWS account id`);
    expect(stderr).toContain(`${file}:10: accounts[0].regions.us-east-1.rds.instances[0].engine:`);
    expect(stderr).toContain(`${file}:11: accounts[0].colour: unknown field`);
    expect(stdout).not.toContain('is running');
  });

  it('refuses an unknown estate, a bad time compression, and a time compression without an estate, exit 2', async () => {
    const estate = await runCli(['sandbox', '--estate', 'XL', '--port', '0']);
    const zero = await runCli(['sandbox', '--estate', 'S', '--time-compression', '0', '--port', '0']);
    const alone = await runCli(['sandbox', '--time-compression', '10', '--port', '0']);

    expect([estate.code, zero.code, alone.code]).toEqual([2, 2, 2]);
    expect(estate.stderr).toContain("option '--estate <profile>' argument 'XL' is invalid. Allowed choices are S, M, L.");
    expect(zero.stderr).toContain('expected a number above 0 and at most 1000 (10 runs AWS ten times faster), got "0"');
    expect(alone.stderr).toContain("option '--time-compression <k>' needs --estate S, M or L");
    expect([estate.stdout, zero.stdout, alone.stdout].join('')).not.toContain('is running');
  });

  it('names the port when it is already in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;

    const { code, stderr } = await runCli(['sandbox', '--port', String(port)]);
    blocker.close();

    expect(code).toBe(2);
    expect(stderr).toContain(`port ${port} on 127.0.0.1 is already in use; choose another with --port`);
  });
});
