/**
 * Vault's state in the sandbox: seal status, tokens, mounts, KV v2 secrets, the database secrets engine,
 * leases and the audit log. Handlers (vault-engines.ts) and the emulator (vault.ts) share these types.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { World } from './world.js';

/** Vault's built-in ceiling for lease TTLs (`default_lease_ttl`/`max_lease_ttl` of 768h). */
export const SYSTEM_MAX_TTL_SECONDS = 768 * 3600;

export interface VaultToken {
  token: string;
  accessor: string;
  displayName: string;
  policies: string[];
  /** Policy path globs the token may use; undefined for a root token. */
  paths?: string[];
  issuedAt: Date;
  /** Undefined: never expires, like a root token. */
  expiresAt?: Date;
  ttlSeconds: number;
}

export interface VaultMount {
  /** With the trailing slash, as Vault names mounts: `secret/`. */
  path: string;
  type: 'kv' | 'database' | 'system' | 'cubbyhole' | 'identity' | 'token';
  description: string;
  accessor: string;
  uuid: string;
  options: Record<string, string> | null;
  runningVersion: string;
}

export interface KvVersion {
  data: Record<string, unknown>;
  createdAt: Date;
}

export interface KvSecret {
  versions: KvVersion[];
  createdAt: Date;
  updatedAt: Date;
}

export interface DbTarget {
  accountId: string;
  region: string;
  dbInstanceIdentifier: string;
}

export interface DbConnection {
  name: string;
  pluginName: string;
  /** Templated (`{{username}}:{{password}}`) or literal; literal passwords are redacted on read. */
  connectionUrl: string;
  username: string;
  allowedRoles: string[];
  target?: DbTarget;
}

export interface DbRole {
  name: string;
  connection: string;
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  creationStatements: string[];
  revocationStatements: string[];
}

export interface DatabaseEngine {
  mount: string;
  connections: Map<string, DbConnection>;
  roles: Map<string, DbRole>;
}

export interface Lease {
  id: string;
  mount: string;
  role: string;
  connection: string;
  username: string;
  /** Kept only to template revocation statements; never shown by an inspection view. */
  password: string;
  issuedAt: Date;
  expiresAt: Date;
  /** Renewals cannot extend the lease past this. */
  maxExpiresAt: Date;
  lastRenewal?: Date;
  revokedAt?: Date;
  /** Whether the creation statements ran on the sandbox database. */
  provisioning: 'created' | 'failed' | 'skipped';
  provisioningError?: string;
}

export interface AuditDevice {
  path: string;
  type: string;
  description: string;
  options: Record<string, string>;
  local: boolean;
}

export interface VaultState {
  initialized: boolean;
  sealed: boolean;
  standby: boolean;
  version: string;
  clusterName: string;
  clusterId: string;
  tokens: Map<string, VaultToken>;
  mounts: Map<string, VaultMount>;
  kv: Map<string, Map<string, KvSecret>>;
  database?: DatabaseEngine;
  leases: Map<string, Lease>;
  auditDevices: AuditDevice[];
  auditLog: Array<Record<string, unknown>>;
  /** The audit devices' HMAC key: per sandbox start, as each real device has its own salt. */
  salt: Buffer;
}

export function vaultState(world: World): VaultState {
  return world.slice('vault', () => ({
    initialized: true,
    sealed: false,
    standby: false,
    version: '1.15.6',
    clusterName: 'vault-cluster-sandbox',
    clusterId: '00000000-0000-4000-8000-000000000000',
    tokens: new Map(),
    mounts: new Map(),
    kv: new Map(),
    leases: new Map(),
    auditDevices: [],
    auditLog: [],
    salt: randomBytes(32),
  }));
}

/** What Vault writes in place of a secret in audit logs (and `sys/audit-hash` returns). */
export function hmac(state: VaultState, value: string): string {
  return `hmac-sha256:${createHmac('sha256', state.salt).update(value).digest('hex')}`;
}

/** Every string in a value replaced by its HMAC, as audit devices log request and response data. */
export function hmacStrings(state: VaultState, value: unknown): unknown {
  if (typeof value === 'string') return hmac(state, value);
  if (Array.isArray(value)) return value.map((v) => hmacStrings(state, v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hmacStrings(state, v)]));
  }
  return value;
}

export function leaseState(lease: Lease, now: Date): 'active' | 'expired' | 'revoked' {
  if (lease.revokedAt) return 'revoked';
  return lease.expiresAt.getTime() <= now.getTime() ? 'expired' : 'active';
}

/** Longest mount whose path prefixes `path`. */
export function findMount(state: VaultState, path: string): VaultMount | undefined {
  let best: VaultMount | undefined;
  for (const mount of state.mounts.values()) {
    if ((path === mount.path.slice(0, -1) || path.startsWith(mount.path)) && (!best || mount.path.length > best.path.length)) best = mount;
  }
  return best;
}
