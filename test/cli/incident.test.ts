/** `vigil incident` and `vigil maintenance` as a user runs them: bad input exits 2 and writes nothing. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';
import { runCli } from '../helpers/cli.js';

let dir: string;
let env: NodeJS.ProcessEnv;

async function counts(): Promise<{ incidents: number; outbox: number; maintenance: number }> {
  const store = SqliteStore.open(dir);
  try {
    return {
      incidents: (await store.incidents.listIncidents()).length,
      outbox: (await store.incidents.listOutbox()).length,
      maintenance: (await store.incidents.listMaintenance()).length,
    };
  } finally {
    await store.close();
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-incident-cli-'));
  writeFileSync(join(dir, 'vigil.config.yaml'), 'version: 1\naccounts:\n  - { id: "222222222222", name: production, regions: [us-east-1] }\n');
  env = { VIGIL_CONFIG: join(dir, 'vigil.config.yaml'), VIGIL_DATA_DIR: dir, VIGIL_ACTOR: 'alice' };
});

describe('vigil incident', () => {
  it('opens from the seed\'s questions, acknowledges, and shows the timeline with actor and reason', async () => {
    const opened = await runCli(['incident', 'open', '--title', 'Course player stalls', '--components', 'Content Delivery', '--degraded', '--reason', 'customers report stalls', '-o', 'json'], { env });
    expect(opened.code).toBe(0);
    const { incident } = JSON.parse(opened.stdout) as { incident: { id: string; severity: string } };
    expect(incident).toMatchObject({ id: 'INC-1', severity: 'sev2' });

    const ack = await runCli(['incident', 'ack', 'inc-1', '--reason', 'looking at the CDN', '--actor', 'bob'], { env });
    expect(ack.code).toBe(0);
    expect(ack.stdout).toContain('INC-1 sev2 investigating (commander bob)');

    const shown = await runCli(['incident', 'show', 'INC-1', '-o', 'json'], { env });
    const view = JSON.parse(shown.stdout) as { incident: { timeline: Array<{ actor: string; reason: string }> }; clocks: Record<string, { status: string }> };
    expect(view.incident.timeline.map((e) => [e.actor, e.reason])).toEqual([
      ['alice', 'customers report stalls'],
      ['bob', 'looking at the CDN'],
      ['bob', 'looking at the CDN'],
    ]);
    expect(view.clocks['workBegins']?.status).toBe('met');
    expect(view.clocks['temporary']?.status).toBe('running');
  });

  it('refuses bad input with exit 2, naming each problem, and writes nothing', async () => {
    const before = await counts();
    const cases: Array<[string[], string]> = [
      [['incident', 'open', '--title', 'x', '--severity', 'sev9', '--reason', 'r'], 'unknown severity "sev9"'],
      [['incident', 'open', '--title', 'x'], 'give --severity sev1-sev4'],
      [['incident', 'resolve', 'INC-99', '--reason', 'r'], 'no incident INC-99'],
      [['incident', 'reclassify', 'INC-1', '--severity', 'urgent'], 'unknown severity "urgent"'],
      [['maintenance', 'schedule', '--start', '2030-01-02T02:00Z', '--end', '2030-01-02T01:00Z', '--components', 'API', '--reason', 'upgrade'], 'ends (2030-01-02T01:00Z) before it starts'],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, { env });
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(message);
    }
    const reclassify = await runCli(['incident', 'reclassify', 'INC-1', '--severity', 'urgent'], { env });
    expect(reclassify.stderr).toContain('--reason');
    expect(await counts()).toEqual(before);
  });

  it('refuses resolving what is not open', async () => {
    await runCli(['incident', 'resolve', 'INC-1', '--reason', 'CDN config rolled back'], { env });
    const again = await runCli(['incident', 'resolve', 'INC-1', '--reason', 'again'], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('it is resolved, not open');
  });

  it('refuses maintenance less than 24 h ahead unless --emergency', async () => {
    const soon = new Date(Date.now() + 2 * 3600_000).toISOString();
    const later = new Date(Date.now() + 4 * 3600_000).toISOString();
    const refused = await runCli(['maintenance', 'schedule', '--start', soon, '--end', later, '--components', 'SCORM Cloud API', '--reason', 'hotfix'], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('at least 24 h ahead');
    const emergency = await runCli(['maintenance', 'schedule', '--start', soon, '--end', later, '--components', 'SCORM Cloud API', '--reason', 'hotfix', '--emergency', '-o', 'json'], { env });
    expect(emergency.code).toBe(0);
    expect(JSON.parse(emergency.stdout)).toMatchObject({ maintenance: { id: 'MNT-1', emergency: true, status: 'scheduled' } });
  });
});
