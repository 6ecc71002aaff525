/**
 * The statement of applicability, `evidence.applicability` in vigil.config.yaml: which Annex A controls
 * do not apply, and why. Its shape is checked with the rest of the config; that each control exists is
 * checked here, against the framework file, with the line of each unknown one.
 */
import type { ApplicabilityStatement } from '../config/schema.js';
import type { Problem } from '../core/errors.js';
import type { Framework } from './framework.js';

/** Where the config is and how to find a field's line in it (LoadedConfig fits). */
export interface ConfigLocation {
  file: string;
  locate(path: readonly PropertyKey[]): number | undefined;
}

export function applicabilityProblems(statements: readonly ApplicabilityStatement[], framework: Framework, where: ConfigLocation): Problem[] {
  const known = new Set(framework.controls.map((c) => c.id));
  const problems: Problem[] = [];
  statements.forEach((statement, index) => {
    if (known.has(statement.control)) return;
    const path = ['evidence', 'applicability', index, 'control'];
    problems.push({ file: where.file, line: where.locate(path), path: `evidence.applicability[${index}].control`, message: `${statement.control} is not a control of ${framework.name}` });
  });
  return problems;
}

/** Per control, its statement; controls not listed apply. */
export function applicabilityOf(statements: readonly ApplicabilityStatement[]): Map<string, ApplicabilityStatement> {
  return new Map(statements.map((s) => [s.control, s]));
}
