/**
 * Check definitions: one YAML file per check under checks/, its id equal to its file name. Read
 * strictly, then cross-checked against the evaluator registry, the runbooks and the framework; every
 * problem in every file is reported at once.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { tagSelectorSchema } from '../config/schema.js';
import { ConfigError, type Problem } from '../core/errors.js';
import { formatPath, issuesToProblems, parseYamlDocument, validateInput } from '../core/input.js';
import { SEVERITIES, type Severity } from '../core/results.js';
import type { Evaluator } from './evaluator.js';
import type { ResourceKind } from './resources.js';

export const CONTROL_ID = /^A\.(5\.([1-9]|[12]\d|3[0-7])|6\.[1-8]|7\.([1-9]|1[0-4])|8\.([1-9]|[12]\d|3[0-4]))$/;

export const checkDefinitionSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'expected lower-case words joined by hyphens'),
  /** The desired state, as a statement: "RDS automated backups are kept for 30 days". */
  title: z
    .string()
    .min(10)
    .refine((t) => !/^ensure\b/i.test(t), { message: 'state the desired state ("Backups are kept 30 days"), not an instruction ("Ensure ...")' }),
  severity: z.enum(SEVERITIES),
  evaluator: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
  /** Narrows or replaces the configured scope for this check. */
  scope: z.strictObject({ include: z.array(tagSelectorSchema).default([]), exclude: z.array(tagSelectorSchema).default([]) }).optional(),
  /** What goes wrong when this fails, for the reader of a report. */
  risk: z.string().min(20),
  /** The runbook a failing result links to. */
  remediation: z.string().regex(/^runbooks\/[a-z0-9-]+\.md$/, 'expected a path such as runbooks/rds-backup-retention.md'),
  /** ISO/IEC 27001:2022 Annex A controls this check evidences. */
  controls: z.array(z.string().regex(CONTROL_ID, 'expected an ISO/IEC 27001:2022 Annex A control such as A.8.13')).min(1, 'list at least one ISO/IEC 27001:2022 control'),
  enabled: z.boolean().default(true),
});

export interface CheckDefinition extends Omit<z.output<typeof checkDefinitionSchema>, 'params'> {
  /** Params after the evaluator's schema applied its defaults. */
  params: Record<string, unknown>;
  /** The kind of resource it judges. */
  resource: ResourceKind;
  file: string;
  severity: Severity;
}

export interface LoadOptions {
  root: string;
  evaluators: ReadonlyMap<string, Evaluator<Record<string, unknown>>>;
  /** Control ids that exist; omit to skip that cross-check. */
  knownControls?: ReadonlySet<string>;
}

export function checkFiles(root: string): string[] {
  const dir = join(root, 'checks');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => join(dir, f));
}

export function loadCheckDefinitions(options: LoadOptions): CheckDefinition[] {
  const problems: Problem[] = [];
  const checks: CheckDefinition[] = [];
  const seen = new Map<string, string>();
  for (const file of checkFiles(options.root)) {
    const shown = file.slice(options.root.length).replace(/^\//, '');
    try {
      const doc = parseYamlDocument(readFileSync(file, 'utf8'), shown);
      const def = validateInput(doc.value, checkDefinitionSchema, shown, doc.locate);
      const where = (path: Array<string | number>) => ({ file: shown, line: doc.locate(path), path: formatPath(path) });
      const before = problems.length;
      const expectedId = basename(file).replace(/\.ya?ml$/, '');
      if (def.id !== expectedId) problems.push({ ...where(['id']), message: `must equal the file name "${expectedId}"` });
      const other = seen.get(def.id);
      if (other) problems.push({ ...where(['id']), message: `duplicate check id (also in ${other})` });
      seen.set(def.id, shown);
      if (!existsSync(join(options.root, def.remediation))) problems.push({ ...where(['remediation']), message: `no such runbook: ${def.remediation}` });
      for (const [i, control] of def.controls.entries()) {
        if (options.knownControls && !options.knownControls.has(control)) problems.push({ ...where(['controls', i]), message: `${control} is not in the framework file` });
      }
      const evaluator = options.evaluators.get(def.evaluator);
      if (!evaluator) {
        problems.push({ ...where(['evaluator']), message: `unknown evaluator "${def.evaluator}"; known: ${[...options.evaluators.keys()].sort().join(', ')}` });
        continue;
      }
      const params = evaluator.params.safeParse(def.params);
      if (!params.success) {
        problems.push(...issuesToProblems(params.error.issues, evaluator.params, shown, (path) => doc.locate(['params', ...path])).map((p) => ({ ...p, path: p.path ? `params.${p.path}` : 'params' })));
        continue;
      }
      if (problems.length > before) continue;
      checks.push({ ...def, params: params.data, resource: evaluator.subject(params.data), file: shown });
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return checks;
}
