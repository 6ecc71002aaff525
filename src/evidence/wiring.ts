/** What a report is built from, loaded from the project and the app: shared by `vigil report` and the report job. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '../app.js';
import { PROJECT_ROOT } from '../core/paths.js';
import type { ReportPeriod } from './report-model.js';
import type { ReportSources } from './produce.js';

export function vigilVersion(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export async function reportSources(app: App): Promise<ReportSources> {
  const [{ loadCheckDefinitions }, { EVALUATORS }, { loadDrillDefinitions }, { loadFramework }, { DEFAULT_SLA_POLICY }] = await Promise.all([
    import('../checks/definitions.js'),
    import('../checks/registry.js'),
    import('../drills/definitions.js'),
    import('./framework.js'),
    import('../incidents/sla.js'),
  ]);
  const framework = loadFramework(PROJECT_ROOT);
  return {
    framework,
    checks: loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS, knownControls: new Set(framework.controls.map((c) => c.id)) }),
    drills: loadDrillDefinitions(PROJECT_ROOT),
    applicability: app.config.evidence.applicability,
    policy: app.config.incidents.sla ?? DEFAULT_SLA_POLICY,
    clock: app.clock,
  };
}

/** The calendar period (UTC) just ended before `now`: the month, quarter or year. */
export function previousPeriod(kind: 'previous-month' | 'previous-quarter' | 'previous-year', now: Date): ReportPeriod {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const utc = (year: number, month: number) => new Date(Date.UTC(year, month, 1)).toISOString();
  if (kind === 'previous-month') return { from: utc(y, m - 1), to: utc(y, m) };
  if (kind === 'previous-quarter') {
    const q = Math.floor(m / 3) * 3;
    return { from: utc(y, q - 3), to: utc(y, q) };
  }
  return { from: utc(y - 1, 0), to: utc(y, 0) };
}
