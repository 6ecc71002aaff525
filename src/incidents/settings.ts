/**
 * The incident settings from vigil.config.yaml: the SLA table, the severity rules (a strict YAML file,
 * or the built-in rules), and the pipeline's knobs.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { VigilConfig } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import { DEFAULT_RULES, parseRulesFile, type SeverityRules } from './classify.js';
import type { IncidentSettings } from './service.js';
import { DEFAULT_SLA_POLICY } from './sla.js';

export function incidentSettings(config: VigilConfig, configFile: string): IncidentSettings {
  const section = config.incidents;
  return {
    policy: section.sla ?? DEFAULT_SLA_POLICY,
    rules: section.rulesFile ? loadRules(resolve(dirname(configFile), section.rulesFile), configFile) : DEFAULT_RULES,
    autoResolveAfterMs: section.autoResolveAfter,
    statuspageApproval: section.statuspageApproval,
    ...(section.runbookBaseUrl ? { runbookBaseUrl: section.runbookBaseUrl } : {}),
  };
}

function loadRules(file: string, configFile: string): SeverityRules {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file: configFile, path: 'incidents.rulesFile', message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
  return parseRulesFile(text, file);
}
