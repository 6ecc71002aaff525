/**
 * Secrets never reach a log, a report, an error or an output. Every secret Vigil resolves (from Vault
 * or from a secret-bearing config field) is registered here, and every line Vigil writes passes
 * through `redact`.
 */
const MASK = '****';
const secrets = new Set<string>();

/** Registers a value as secret. Short values are ignored: masking "a" everywhere would garble output. */
export function registerSecret(value: string | undefined): void {
  if (value !== undefined && value.length >= 4) secrets.add(value);
}

/**
 * `scheme://user:password@`: a password written into a URL (a database URL in the config) is never
 * shown. A template's `{{password}}` placeholder (Vault's connection URLs) is no password.
 */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)(?!\{\{)([^\s@/]+)@/gi;

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
  }
  return out.replace(URL_PASSWORD, `$1${MASK}@`);
}

/** Deep copy with every registered secret masked, for JSON output. */
export function redactValue<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map(redactValue) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v)])) as T;
  }
  return value;
}

/** Field names whose values are secret even when written in plain text in the config. */
export const SECRET_FIELD = /(token|secret|password|apikey|api_key|routingkey|privatekey)$/i;

export function maskSecret(): string {
  return MASK;
}

/** For tests: forget registered secrets. */
export function clearSecrets(): void {
  secrets.clear();
}
