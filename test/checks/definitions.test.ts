import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckDefinitions } from '../../src/checks/definitions.js';
import { EVALUATORS } from '../../src/checks/registry.js';
import { ConfigError } from '../../src/core/errors.js';

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'vigil-checks-'));
  mkdirSync(join(root, 'checks'));
  mkdirSync(join(root, 'runbooks'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
  return root;
}

const GOOD = `id: rds-backup-retention
title: RDS automated backups are kept for 30 days
severity: high
evaluator: backup-retention
params:
  source: rds-instance
  minDays: 30
risk: Without backups a lost database cannot be recovered at all.
remediation: runbooks/rds-backup-retention.md
controls: [A.8.13]
`;

function problems(root: string): string[] {
  try {
    loadCheckDefinitions({ root, evaluators: EVALUATORS, knownControls: new Set(['A.8.13', 'A.5.30']) });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.file}:${p.line ?? '-'}: ${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('check definitions', () => {
  it('loads a valid definition with the evaluator defaults applied', () => {
    const root = project({ 'checks/rds-backup-retention.yaml': GOOD, 'runbooks/rds-backup-retention.md': '# x' });

    const [check] = loadCheckDefinitions({ root, evaluators: EVALUATORS });

    expect(check).toMatchObject({ id: 'rds-backup-retention', resource: 'rds-instance', params: { source: 'rds-instance', minDays: 30 }, enabled: true });
  });

  it('reports every problem in every file at once, with file, line and field', () => {
    const root = project({
      'checks/a.yaml': GOOD.replace('id: rds-backup-retention', 'id: rds-backup-retention').replace('evaluator: backup-retention', 'evaluator: backup-retentoin'),
      'checks/b.yaml': GOOD.replace('id: rds-backup-retention', 'id: b').replace('  minDays: 30', '  minDays: forty\n  colour: blue'),
      'checks/c.yaml': GOOD.replace('id: rds-backup-retention', 'id: c').replace('controls: [A.8.13]', 'controls: []').replace('remediation: runbooks/rds-backup-retention.md', 'remediation: runbooks/nope.md'),
      'checks/d.yaml': GOOD.replace('id: rds-backup-retention', 'id: d').replace('title: RDS', 'title: Ensure RDS').replace('controls: [A.8.13]', 'controls: [A.8.99, A.5.30]').replace('severity: high', 'severity: urgent\nfilter: x'),
      'runbooks/rds-backup-retention.md': '# x',
    });

    expect(problems(root)).toEqual([
      'checks/a.yaml:1: id: must equal the file name "a"',
      expect.stringMatching(/^checks\/a\.yaml:4: evaluator: unknown evaluator "backup-retentoin"; known: .*\bbackup-retention\b.*\bsnapshot-daily\b/),
      'checks/b.yaml:7: params.minDays: expected number, received string',
      'checks/b.yaml:8: params.colour: unknown field; expected one of: source, minDays',
      'checks/c.yaml:10: controls: list at least one ISO/IEC 27001:2022 control',
      'checks/d.yaml:2: title: state the desired state ("Backups are kept 30 days"), not an instruction ("Ensure ...")',
      'checks/d.yaml:3: severity: expected one of "critical"|"high"|"medium"|"low"|"info"',
      'checks/d.yaml:4: filter: unknown field; expected one of: id, title, severity, evaluator, params, scope, risk, remediation, controls, enabled',
      'checks/d.yaml:11: controls[0]: expected an ISO/IEC 27001:2022 Annex A control such as A.8.13',
    ]);
  });

  it('rejects a runbook that does not exist and a control missing from the framework', () => {
    const root = project({ 'checks/rds-backup-retention.yaml': GOOD.replace('controls: [A.8.13]', 'controls: [A.8.14]') });

    expect(problems(root)).toEqual([
      'checks/rds-backup-retention.yaml:9: remediation: no such runbook: runbooks/rds-backup-retention.md',
      'checks/rds-backup-retention.yaml:10: controls[0]: A.8.14 is not in the framework file',
    ]);
  });
});
