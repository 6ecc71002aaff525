/**
 * Sweeps every definition file the project ships: each parses strictly, each reference resolves, no
 * duplicates, and the registries match the folders.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles, loadCheckDefinitions } from '../src/checks/definitions.js';
import { EVALUATORS } from '../src/checks/registry.js';
import { IAM_NEED_READS, IAM_NEEDS } from '../src/checks/iam/index.js';
import { SUBJECTS } from '../src/checks/subjects.js';
import { THREAT_NEED_READS, THREAT_NEEDS } from '../src/checks/threat/index.js';
import { PROJECT_ROOT } from '../src/core/paths.js';
import { drillFiles, loadDrillDefinitions } from '../src/drills/definitions.js';
import { loadFramework } from '../src/evidence/framework.js';

const checks = loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS, knownControls: new Set(loadFramework(PROJECT_ROOT).controls.map((c) => c.id)) });
const framework = loadFramework(PROJECT_ROOT);

function expectedControlIds(): string[] {
  const ids: string[] = [];
  const counts: Array<[number, number]> = [[5, 37], [6, 8], [7, 14], [8, 34]];
  for (const [theme, n] of counts) for (let i = 1; i <= n; i++) ids.push(`A.${theme}.${i}`);
  return ids;
}

describe('checks/', () => {
  it('loads every check file strictly, ids equal to file names', () => {
    expect(checks.map((c) => c.file)).toEqual(checkFiles(PROJECT_ROOT).map((f) => f.slice(PROJECT_ROOT.length)));
    for (const check of checks) expect(check.file).toBe(`checks/${check.id}.yaml`);
  });

  it('uses every registered evaluator, and only registered ones', () => {
    const used = new Set(checks.map((c) => c.evaluator));

    expect([...EVALUATORS.keys()].filter((name) => !used.has(name))).toEqual([]);
  });

  it('states titles as the desired state and gives each check a risk and controls', () => {
    for (const check of checks) {
      expect(check.title, check.id).not.toMatch(/^(ensure|check|verify)\b/i);
      expect(check.controls.length, check.id).toBeGreaterThan(0);
    }
  });
});

describe('subject kinds and needs', () => {
  it('declare the inventory methods they read, for Vigil\'s IAM policy', () => {
    for (const [kind, spec] of Object.entries(SUBJECTS)) {
      if (kind !== 'cloudtrail-history') expect([kind, spec.reads.length > 0]).toEqual([kind, true]);
    }
    expect(Object.keys(IAM_NEED_READS).sort()).toEqual(Object.keys(IAM_NEEDS).sort());
    expect(Object.keys(THREAT_NEED_READS).sort()).toEqual(Object.keys(THREAT_NEEDS).sort());
  });
});

describe('runbooks/', () => {
  const runbooks = readdirSync(join(PROJECT_ROOT, 'runbooks')).filter((f) => f.endsWith('.md'));

  it('has a runbook for every check and none without a check', () => {
    expect(runbooks.map((f) => `runbooks/${f}`).sort()).toEqual([...new Set(checks.map((c) => c.remediation))].sort());
  });

  it('gives each runbook the check title, what it means, how to fix and how to verify', () => {
    for (const check of checks) {
      const text = readFileSync(join(PROJECT_ROOT, check.remediation), 'utf8');
      expect(text.split('\n')[0], check.remediation).toBe(`# ${check.title}`);
      expect(text.split('\n')[2], check.remediation).toBe(`Check \`${check.id}\` · severity ${check.severity} · ISO/IEC 27001:2022 ${check.controls.join(', ')}`);
      for (const heading of ['## What a failure means', '## Fix it', '## Verify']) expect(text, `${check.remediation} ${heading}`).toContain(heading);
      expect(text, check.remediation).toContain(`vigil check run --check ${check.id}`);
    }
  });
});

describe('runbooks/drills/', () => {
  it('loads every drill definition strictly, ids equal to file names, scripts present', () => {
    const drills = loadDrillDefinitions(PROJECT_ROOT);

    expect(drills.map((d) => d.file)).toEqual(drillFiles(PROJECT_ROOT).map((f) => f.slice(PROJECT_ROOT.length)));
    for (const drill of drills) expect(drill.file).toBe(`runbooks/drills/${drill.id}.yaml`);
  });
});

describe('the ISO/IEC 27001:2022 framework file', () => {
  it('lists all 93 Annex A controls, each once, in order', () => {
    expect(framework.controls.map((c) => c.id)).toEqual(expectedControlIds());
  });

  it('maps checks to controls exactly as the check files do, both ways', () => {
    const fromChecks = new Map<string, string[]>();
    for (const check of checks) for (const control of check.controls) fromChecks.set(control, [...(fromChecks.get(control) ?? []), check.id].sort());

    for (const control of framework.controls) expect([control.id, [...control.checks].sort()]).toEqual([control.id, fromChecks.get(control.id) ?? []]);
  });

  it('claims check evidence only where checks exist, and names no check twice', () => {
    for (const control of framework.controls) {
      expect([control.id, control.evidence.includes('checks')]).toEqual([control.id, control.checks.length > 0]);
      expect(new Set(control.checks).size).toBe(control.checks.length);
    }
  });

  it('covers the backup and continuity controls the retention checks evidence', () => {
    const evidenced = new Set(framework.controls.filter((c) => c.checks.length > 0).map((c) => c.id));

    for (const control of ['A.8.13', 'A.8.14', 'A.8.10', 'A.8.24', 'A.5.30']) expect(evidenced.has(control), control).toBe(true);
  });
});
