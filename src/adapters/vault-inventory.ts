/**
 * Vault facts for the Vault checks, read through node-vault once per run: health, audit devices and
 * the database secrets engines with their roles and connections. Each part that cannot be read keeps
 * its reason (`Fetched`), so only the checks that need it report `error`.
 */
import { fetched, notFetched, type Fetched } from '../checks/resources.js';
import type { ThreatInventoryPort, VaultAuditDevice, VaultDatabaseConnection, VaultDatabaseMount, VaultDatabaseRole, VaultHealth, VaultServer } from '../checks/threat/index.js';
import { VAULT_NOT_CONFIGURED } from '../checks/threat/vault.js';
import { vaultError, type VaultClient } from './vault.js';

type VaultPort = Pick<ThreatInventoryPort, 'vaultServer'>;

/**
 * The Vault policy capabilities each method uses (`<capability> <path>`), for Vigil's own policy.
 * `<mount>` is every secrets engine of type database.
 */
export const VAULT_ACTIONS: Record<keyof VaultPort, readonly string[]> = {
  vaultServer: [
    'read sys/health',
    'sudo,read sys/audit',
    'read sys/mounts',
    'read sys/mounts/<mount>/tune',
    'list <mount>/roles',
    'read <mount>/roles/*',
    'list <mount>/config',
    'read <mount>/config/*',
  ],
};

type Body = Record<string, unknown>;

function isObject(value: unknown): value is Body {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** sys/ endpoints answer under `data` and, for older clients, at the top level too. */
function dataOf(response: unknown): Body {
  if (!isObject(response)) return {};
  return isObject(response['data']) ? response['data'] : response;
}

const GO_DURATION = /(\d+(?:\.\d+)?)(h|m|s|ms)/g;
const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };

/** Vault answers TTLs in seconds, though some versions and tools say `24h` or `1h30m`. */
export function ttlSeconds(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  let total = 0;
  let matched = '';
  for (const m of value.matchAll(GO_DURATION)) {
    total += Number(m[1]) * (UNIT_SECONDS[m[2] as string] as number);
    matched += m[0];
  }
  return matched === value && matched !== '' ? total : undefined;
}

function isNotFound(err: unknown): boolean {
  return (err as { response?: { statusCode?: number } }).response?.statusCode === 404;
}

export class VaultInventory implements VaultPort {
  constructor(private readonly vault: VaultClient | undefined) {}

  async vaultServer(): Promise<VaultServer> {
    const vault = this.vault;
    if (!vault) {
      const absent = notFetched<never>(VAULT_NOT_CONFIGURED);
      return { kind: 'vault', health: absent, auditDevices: absent, databaseMounts: absent };
    }
    return {
      kind: 'vault',
      address: vault.endpoint,
      health: await this._fetch('read sys/health', () => this._health(vault)),
      auditDevices: await this._fetch('read sys/audit', () => this._audit(vault)),
      databaseMounts: await this._fetch('read sys/mounts', () => this._databaseMounts(vault)),
    };
  }

  private async _health(vault: VaultClient): Promise<VaultHealth> {
    // node-vault resolves sys/health whatever its status code (503 sealed, 429 standby, 501 uninitialized).
    const body: unknown = await vault.health({ standbyok: true });
    if (!isObject(body) || typeof body['initialized'] !== 'boolean' || typeof body['sealed'] !== 'boolean') {
      throw new Error('sys/health did not answer with Vault health fields');
    }
    return {
      initialized: body['initialized'],
      sealed: body['sealed'],
      standby: body['standby'] === true,
      version: typeof body['version'] === 'string' ? body['version'] : undefined,
      clusterName: typeof body['cluster_name'] === 'string' ? body['cluster_name'] : undefined,
    };
  }

  private async _audit(vault: VaultClient): Promise<VaultAuditDevice[]> {
    const devices: VaultAuditDevice[] = [];
    for (const [path, device] of Object.entries(dataOf(await vault.audits()))) {
      if (!isObject(device) || typeof device['type'] !== 'string') continue;
      devices.push({ path, type: device['type'], description: typeof device['description'] === 'string' && device['description'] ? device['description'] : undefined });
    }
    return devices.sort((a, b) => a.path.localeCompare(b.path));
  }

  private async _databaseMounts(vault: VaultClient): Promise<VaultDatabaseMount[]> {
    const mounts: VaultDatabaseMount[] = [];
    for (const [path, mount] of Object.entries(dataOf(await vault.mounts()))) {
      if (!isObject(mount) || mount['type'] !== 'database') continue;
      const name = path.replace(/\/$/, '');
      mounts.push({
        path: name,
        maxLeaseTtlSeconds: await this._fetch(`read sys/mounts/${name}/tune`, async () => {
          const seconds = ttlSeconds(dataOf(await vault.read(`sys/mounts/${name}/tune`))['max_lease_ttl']);
          if (seconds === undefined) throw new Error(`sys/mounts/${name}/tune has no max_lease_ttl`);
          return seconds;
        }),
        connections: await this._fetch(`list ${name}/config`, () => this._connections(vault, name)),
        roles: await this._fetch(`list ${name}/roles`, () => this._roles(vault, name)),
      });
    }
    return mounts.sort((a, b) => a.path.localeCompare(b.path));
  }

  /** The names under a LIST path; Vault answers 404 when there are none. */
  private async _list(vault: VaultClient, path: string): Promise<string[]> {
    try {
      const keys = dataOf(await vault.list(path))['keys'];
      return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  private async _connections(vault: VaultClient, mount: string): Promise<VaultDatabaseConnection[]> {
    const out: VaultDatabaseConnection[] = [];
    for (const name of await this._list(vault, `${mount}/config`)) {
      const read = await this._fetch(`read ${mount}/config/${name}`, async () => dataOf(await vault.read(`${mount}/config/${name}`)));
      const data = read.ok ? read.value : {};
      const details = isObject(data['connection_details']) ? data['connection_details'] : {};
      out.push({
        name,
        pluginName: typeof data['plugin_name'] === 'string' ? data['plugin_name'] : undefined,
        connectionUrl: typeof details['connection_url'] === 'string' ? details['connection_url'] : undefined,
        allowedRoles: Array.isArray(data['allowed_roles']) ? data['allowed_roles'].filter((r): r is string => typeof r === 'string') : [],
      });
    }
    return out;
  }

  private async _roles(vault: VaultClient, mount: string): Promise<VaultDatabaseRole[]> {
    const roles: VaultDatabaseRole[] = [];
    for (const name of await this._list(vault, `${mount}/roles`)) {
      const settings = await this._fetch(`read ${mount}/roles/${name}`, async () => {
        const data = dataOf(await vault.read(`${mount}/roles/${name}`));
        const maxTtlSeconds = ttlSeconds(data['max_ttl'] ?? 0);
        const defaultTtlSeconds = ttlSeconds(data['default_ttl'] ?? 0);
        if (maxTtlSeconds === undefined || defaultTtlSeconds === undefined) throw new Error(`role ${name} has a TTL Vigil cannot read (max_ttl ${String(data['max_ttl'])})`);
        return { dbName: typeof data['db_name'] === 'string' ? data['db_name'] : '(none)', defaultTtlSeconds, maxTtlSeconds };
      });
      roles.push({ name, settings });
    }
    return roles;
  }

  /** Runs one read; a failure becomes its reason, in Vigil's words, never with the token. */
  private async _fetch<T>(operation: string, read: () => Promise<T>): Promise<Fetched<T>> {
    try {
      return fetched(await read());
    } catch (err) {
      if (err instanceof Error && !('response' in err) && !('code' in err)) return notFetched(`Vault ${operation}: ${err.message}`);
      return notFetched(`Vault ${operation}: ${vaultError(err, operation).message}`);
    }
  }
}
