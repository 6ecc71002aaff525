/**
 * Reading vigil.config.yaml: strict validation (every problem at once, with line and field), then
 * resolution of `vault:<path>#<key>` references through Vault at run time.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, ExternalServiceError, type Problem } from '../core/errors.js';
import { formatPath, parseYamlDocument, validateInput } from '../core/input.js';
import type { SecretReader } from '../core/ports.js';
import { maskSecret, registerSecret, SECRET_FIELD } from '../core/redact.js';
import { configSchema, type VigilConfig } from './schema.js';

export const DEFAULT_CONFIG_FILE = 'vigil.config.yaml';
export const VAULT_REF = /^vault:([^#\s]+)#([^#\s]+)$/;

export interface LoadedConfig {
  file: string;
  config: VigilConfig;
  /** Where each field path is in the file, for errors found after parsing. */
  locate(path: readonly PropertyKey[]): number | undefined;
  /** The field paths holding `vault:` references, with their references. */
  references: Array<{ path: Array<string | number>; ref: string }>;
}

/** `--config`, else VIGIL_CONFIG, else ./vigil.config.yaml. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? env['VIGIL_CONFIG'] ?? DEFAULT_CONFIG_FILE);
}

export function readConfig(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === 'ENOENT' ? 'no such file; pass --config FILE or set VIGIL_CONFIG' : `cannot read it (${code ?? String(err)})`;
    throw new ConfigError([{ file, path: '', message: hint }]);
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, file: string): LoadedConfig {
  const doc = parseYamlDocument(text, file);
  const problems: Problem[] = [];
  const references: LoadedConfig['references'] = [];
  walkStrings(doc.value, [], (value, path) => {
    if (!value.startsWith('vault:')) return;
    if (!VAULT_REF.test(value)) {
      problems.push({ file, line: doc.locate(path), path: formatPath(path), message: 'a Vault reference must look like vault:secret/data/vigil#slack_token' });
    } else if (formatPath(path).startsWith('integrations.vault')) {
      problems.push({ file, line: doc.locate(path), path: formatPath(path), message: 'the Vault settings cannot themselves come from Vault; use VAULT_ADDR and VAULT_TOKEN' });
    } else {
      references.push({ path, ref: value });
    }
  });
  let config: VigilConfig | undefined;
  try {
    config = validateInput(doc.value, configSchema, file, doc.locate);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (problems.length > 0 || !config) throw new ConfigError(problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  registerPlainSecrets(config);
  return { file, config, locate: doc.locate, references };
}

/**
 * Replaces every `vault:` reference with the secret it names. Every failure is reported at once, by
 * field; the secret values are registered for redaction and never appear in errors.
 */
export async function resolveSecrets(loaded: LoadedConfig, reader: SecretReader | undefined): Promise<VigilConfig> {
  if (loaded.references.length === 0) return loaded.config;
  const problems: Problem[] = [];
  const config = structuredClone(loaded.config);
  for (const { path, ref } of loaded.references) {
    const [, secretPath, key] = VAULT_REF.exec(ref) as unknown as [string, string, string];
    const where = { file: loaded.file, line: loaded.locate(path), path: formatPath(path) };
    if (!reader) {
      problems.push({ ...where, message: `cannot resolve ${ref}: no Vault configured (set VAULT_ADDR and VAULT_TOKEN, or integrations.vault)` });
      continue;
    }
    try {
      const value = await reader.readSecret(secretPath, key);
      registerSecret(value);
      setAt(config, path, value);
    } catch (err) {
      if (!(err instanceof ExternalServiceError)) throw err;
      problems.push({ ...where, message: `cannot resolve ${ref}: ${err.message}` });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The config as `vigil config check` prints it: references shown as references, secrets masked. */
export function displayConfig(loaded: LoadedConfig): unknown {
  const refs = new Map(loaded.references.map((r) => [formatPath(r.path), r.ref]));
  const mask = (value: unknown, path: Array<string | number>): unknown => {
    const key = formatPath(path);
    if (refs.has(key)) return `${refs.get(key)} (resolved at run time)`;
    if (typeof value === 'string') return SECRET_FIELD.test(String(path[path.length - 1] ?? '')) ? maskSecret() : value;
    if (Array.isArray(value)) return value.map((v, i) => mask(v, [...path, i]));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v, [...path, k])]));
    return value;
  };
  return mask(loaded.config, []);
}

function registerPlainSecrets(config: VigilConfig): void {
  walkStrings(config, [], (value, path) => {
    if (SECRET_FIELD.test(String(path[path.length - 1] ?? '')) && !value.startsWith('vault:')) registerSecret(value);
  });
}

function walkStrings(value: unknown, path: Array<string | number>, visit: (value: string, path: Array<string | number>) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, [...path, i], visit));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walkStrings(v, [...path, k], visit);
}

function setAt(target: unknown, path: Array<string | number>, value: string): void {
  let node = target as Record<string | number, unknown>;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string | number, unknown>;
  node[path[path.length - 1] as string | number] = value;
}
