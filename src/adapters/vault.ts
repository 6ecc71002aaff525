/** Vault through node-vault: secret references in the config, and (later) database credentials. */
import { readFileSync } from 'node:fs';
import nodeVault from 'node-vault';
import { ExternalServiceError, ExternalErrorKind, type ExternalErrorKind as Kind } from '../core/errors.js';
import type { SecretReader } from '../core/ports.js';
import { registerSecret } from '../core/redact.js';

export interface VaultSettings {
  address: string;
  token: string;
  namespace?: string;
  caFile?: string;
  requestTimeoutMs?: number;
}

export type VaultClient = ReturnType<typeof nodeVault>;

export function createVaultClient(settings: VaultSettings): VaultClient {
  registerSecret(settings.token);
  return nodeVault({
    apiVersion: 'v1',
    endpoint: settings.address,
    token: settings.token,
    namespace: settings.namespace,
    // LIST is a non-standard HTTP verb some proxies and servers refuse; Vault accepts GET ?list=true.
    noCustomHTTPVerbs: true,
    requestOptions: {
      timeout: settings.requestTimeoutMs ?? 10_000,
      ...(settings.caFile ? { ca: readFileSync(settings.caFile) } : {}),
    },
  });
}

export class VaultSecretReader implements SecretReader {
  constructor(private readonly client: VaultClient) {}

  async readSecret(path: string, key: string): Promise<string> {
    const value = (await readSecretData(this.client, path))[key];
    if (typeof value !== 'string') {
      throw new ExternalServiceError(`Vault secret ${path} has no string key "${key}"`, { kind: ExternalErrorKind.NotFound, service: 'vault', operation: `read ${path}` });
    }
    registerSecret(value);
    return value;
  }
}

/** One read of a secret's fields: KV v2 nests them under data.data; KV v1 and other engines answer with data. */
async function readSecretData(client: VaultClient, path: string): Promise<Record<string, unknown>> {
  let response: { data?: Record<string, unknown> };
  try {
    response = (await client.read(path)) as { data?: Record<string, unknown> };
  } catch (err) {
    throw vaultError(err, `read ${path}`);
  }
  const inner = response.data?.['data'];
  return inner && typeof inner === 'object' ? (inner as Record<string, unknown>) : (response.data ?? {});
}

/** Reads a whole secret (KV v1/v2) or issues credentials (database engine): one read, all fields. */
export class VaultCredentialSource {
  constructor(private readonly client: VaultClient) {}

  async read(path: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(await readSecretData(this.client, path))) {
      if (typeof value !== 'string') continue;
      out[key] = value;
      if (/pass|secret|token|key/i.test(key)) registerSecret(value);
    }
    return out;
  }
}

/** Turns a node-vault failure into Vigil's vocabulary, without the request (which carries the token). */
export function vaultError(err: unknown, operation: string): ExternalServiceError {
  const status = (err as { response?: { statusCode?: number } }).response?.statusCode;
  const code = (err as { code?: string }).code;
  let kind: Kind = ExternalErrorKind.Unavailable;
  let reason = `Vault is unreachable (${code ?? 'no answer'})`;
  if (status === 403 || status === 401) {
    kind = ExternalErrorKind.AccessDenied;
    reason = 'Vault denied access (permission denied)';
  } else if (status === 404) {
    kind = ExternalErrorKind.NotFound;
    reason = 'Vault has no secret at that path';
  } else if (status === 429) {
    kind = ExternalErrorKind.Throttled;
    reason = 'Vault is rate limiting requests';
  } else if (status !== undefined) {
    reason = `Vault answered ${status}`;
  } else if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
    kind = ExternalErrorKind.Timeout;
    reason = 'Vault did not answer in time';
  }
  return new ExternalServiceError(reason, { kind, service: 'vault', operation, code: status !== undefined ? String(status) : code });
}
