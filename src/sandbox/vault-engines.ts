/**
 * What each Vault path does: the sys/ backend, token self-lookup, KV v2 and the database secrets
 * engine. Handlers return a VaultReply; vault.ts wraps it in Vault's response envelope and audits it.
 */
import { randomInt } from 'node:crypto';
import { executeSql } from './aws/rds.js';
import {
  SYSTEM_MAX_TTL_SECONDS,
  findMount,
  hmac,
  leaseState,
  type DbRole,
  type DbTarget,
  type KvSecret,
  type Lease,
  type VaultMount,
  type VaultState,
  type VaultToken,
} from './vault-state.js';
import type { World } from './world.js';

/** Vault's logical operations: GET is read (or list with `?list=true`), POST/PUT write. */
export type VaultOperation = 'read' | 'list' | 'write' | 'delete';

export interface VaultContext {
  world: World;
  state: VaultState;
  /** Without `/v1/` and without a trailing slash: `secret/data/vigil`. */
  path: string;
  operation: VaultOperation;
  query: URLSearchParams;
  body: Record<string, unknown>;
  /** Undefined only on unauthenticated paths. */
  token?: VaultToken;
}

export interface VaultReply {
  status: number;
  data?: unknown;
  /** sys/ endpoints that also answer with their data at the top level, Vault's legacy shape. */
  topLevel?: Record<string, unknown>;
  secret?: { leaseId: string; leaseDuration: number; renewable: boolean };
  warnings?: string[];
  errors?: string[];
  /** A body sent as is (sys/health, sys/seal-status). */
  raw?: unknown;
}

export interface VaultRoute {
  /** The operation name the recorder and fault rules see: `kv.read`, `database.creds`. */
  name: string;
  mount?: VaultMount;
  unauthenticated?: boolean;
  /** Allowed to any valid token, as Vault's built-in `default` policy does. */
  defaultPolicy?: boolean;
  /** Needs the sudo capability: a root token or a token granted the path explicitly. */
  sudo?: boolean;
  /** Undefined when the path exists but not for this operation (405). */
  handle?: (ctx: VaultContext) => VaultReply | Promise<VaultReply>;
}

type Handlers = Partial<Record<VaultOperation, (ctx: VaultContext) => VaultReply | Promise<VaultReply>>>;

export function resolveRoute(state: VaultState, path: string, operation: VaultOperation): VaultRoute {
  const mount = findMount(state, path);
  const route = (name: string, handlers: Handlers, extra: Partial<VaultRoute> = {}): VaultRoute => ({ name, mount, handle: handlers[operation], ...extra });
  switch (path) {
    case 'sys/health':
      return route('sys.health', { read: health }, { unauthenticated: true });
    case 'sys/seal-status':
      return route('sys.seal-status', { read: sealStatus }, { unauthenticated: true });
    case 'auth/token/lookup-self':
      return route('auth.token.lookup-self', { read: lookupSelf, write: lookupSelf }, { defaultPolicy: true });
    case 'sys/audit':
      return route('sys.audit', { read: listAudit, list: listAudit }, { sudo: true });
    case 'sys/mounts':
      return route('sys.mounts', { read: listMounts });
    case 'sys/leases/lookup':
      return route('sys.leases.lookup', { write: lookupLease }, { defaultPolicy: true });
    case 'sys/leases/renew':
      return route('sys.leases.renew', { write: renewLease }, { defaultPolicy: true });
    case 'sys/leases/revoke':
      return route('sys.leases.revoke', { write: revokeLease });
  }
  if (path.startsWith('sys/leases/revoke/')) return route('sys.leases.revoke', { write: revokeLease });
  if (path.startsWith('sys/audit-hash/')) return route('sys.audit-hash', { write: auditHash });
  if (/^sys\/mounts\/.+\/tune$/.test(path)) return route('sys.mounts.tune', { read: tuneMount });
  const rest = mount ? path.slice(mount.path.length) : '';
  if (mount?.type === 'kv') return { ...kvRoute(rest, operation), mount };
  if (mount?.type === 'database') return { ...databaseRoute(rest, operation), mount };
  return { name: 'unknown', mount, handle: () => error(404, `no handler for route "${path}". route entry not found.`) };
}

export function error(status: number, ...errors: string[]): VaultReply {
  return { status, errors };
}

export const UNSUPPORTED: VaultReply = error(405, '1 error occurred:\n\t* unsupported operation\n\n');
/** Vault's "nothing here": a 404 with an empty error list. */
const NOT_FOUND: VaultReply = { status: 404, errors: [] };

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

// ---- sys/ ----

function health({ state, query, world }: VaultContext): VaultReply {
  const code = (name: string, fallback: number) => {
    const value = Number(query.get(name) ?? NaN);
    return Number.isInteger(value) ? value : fallback;
  };
  const standbyOk = ['true', '1', ''].includes(query.get('standbyok') ?? 'no');
  let status = code('activecode', 200);
  if (!state.initialized) status = code('uninitcode', 501);
  else if (state.sealed) status = code('sealedcode', 503);
  else if (state.standby && !standbyOk) status = code('standbycode', 429);
  const active = state.initialized && !state.sealed;
  return {
    status,
    raw: {
      initialized: state.initialized,
      sealed: state.sealed,
      standby: state.standby || state.sealed,
      performance_standby: false,
      replication_performance_mode: 'disabled',
      replication_dr_mode: 'disabled',
      server_time_utc: seconds(world.now()),
      version: state.version,
      enterprise: false,
      ...(active ? { cluster_name: state.clusterName, cluster_id: state.clusterId } : {}),
      echo_duration_ms: 0,
      clock_skew_ms: 0,
    },
  };
}

function sealStatus({ state }: VaultContext): VaultReply {
  const active = state.initialized && !state.sealed;
  return {
    status: 200,
    raw: {
      type: 'shamir',
      initialized: state.initialized,
      sealed: state.sealed,
      t: 3,
      n: 5,
      progress: 0,
      nonce: '',
      version: state.version,
      build_date: '2024-02-28T17:07:34Z',
      migration: false,
      ...(active ? { cluster_name: state.clusterName, cluster_id: state.clusterId } : {}),
      recovery_seal: false,
      storage_type: 'raft',
    },
  };
}

function lookupSelf({ token, world }: VaultContext): VaultReply {
  const t = token as VaultToken;
  const now = world.now();
  return {
    status: 200,
    data: {
      accessor: t.accessor,
      creation_time: seconds(t.issuedAt),
      creation_ttl: t.ttlSeconds,
      display_name: t.displayName,
      entity_id: '',
      expire_time: t.expiresAt ? t.expiresAt.toISOString() : null,
      explicit_max_ttl: 0,
      id: t.token,
      issue_time: t.issuedAt.toISOString(),
      meta: null,
      num_uses: 0,
      orphan: true,
      path: t.paths ? 'auth/token/create' : 'auth/token/root',
      policies: t.policies,
      renewable: t.expiresAt !== undefined,
      ttl: t.expiresAt ? Math.max(0, seconds(t.expiresAt) - seconds(now)) : 0,
      type: 'service',
    },
  };
}

function listAudit({ state }: VaultContext): VaultReply {
  const devices = Object.fromEntries(
    state.auditDevices.map((d) => [`${d.path}/`, { type: d.type, description: d.description, options: d.options, local: d.local, path: `${d.path}/` }]),
  );
  return { status: 200, data: devices, topLevel: devices };
}

function auditHash({ state, path, body }: VaultContext): VaultReply {
  const device = path.slice('sys/audit-hash/'.length).replace(/\/$/, '');
  if (!state.auditDevices.some((d) => d.path === device)) return error(400, 'unknown audit backend');
  const input = body['input'];
  if (typeof input !== 'string' || input === '') return error(400, 'the "input" parameter is empty');
  const hash = hmac(state, input);
  return { status: 200, data: { hash }, topLevel: { hash } };
}

function describeMount(mount: VaultMount) {
  return {
    accessor: mount.accessor,
    config: { default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0 },
    description: mount.description,
    external_entropy_access: false,
    local: false,
    options: mount.options,
    plugin_version: '',
    running_plugin_version: mount.runningVersion,
    running_sha256: '',
    seal_wrap: false,
    type: mount.type,
    uuid: mount.uuid,
  };
}

function listMounts({ state }: VaultContext): VaultReply {
  const mounts = Object.fromEntries(
    [...state.mounts.values()].filter((m) => m.type !== 'token').map((m) => [m.path, describeMount(m)]),
  );
  return { status: 200, data: mounts, topLevel: mounts };
}

function tuneMount({ state, path }: VaultContext): VaultReply {
  const name = path.slice('sys/mounts/'.length, -'/tune'.length);
  const mount = state.mounts.get(`${name.replace(/\/$/, '')}/`);
  if (!mount) return error(400, `cannot fetch sysview for path "${name}/"`);
  const tune = {
    default_lease_ttl: SYSTEM_MAX_TTL_SECONDS,
    max_lease_ttl: SYSTEM_MAX_TTL_SECONDS,
    force_no_cache: false,
    description: mount.description,
    options: mount.options,
  };
  return { status: 200, data: tune, topLevel: tune };
}

// ---- leases ----

function leaseIdOf(ctx: VaultContext): string {
  const fromPath = ctx.path.startsWith('sys/leases/revoke/') ? ctx.path.slice('sys/leases/revoke/'.length) : '';
  const fromBody = ctx.body['lease_id'];
  return typeof fromBody === 'string' && fromBody !== '' ? fromBody : fromPath;
}

function activeLease(ctx: VaultContext): Lease | undefined {
  const lease = ctx.state.leases.get(leaseIdOf(ctx));
  return lease && leaseState(lease, ctx.world.now()) === 'active' ? lease : undefined;
}

function lookupLease(ctx: VaultContext): VaultReply {
  const lease = activeLease(ctx);
  if (!lease) return error(400, 'invalid lease');
  const now = ctx.world.now();
  return {
    status: 200,
    data: {
      id: lease.id,
      issue_time: lease.issuedAt.toISOString(),
      expire_time: lease.expiresAt.toISOString(),
      last_renewal: lease.lastRenewal?.toISOString() ?? null,
      renewable: true,
      ttl: seconds(lease.expiresAt) - seconds(now),
    },
  };
}

function renewLease(ctx: VaultContext): VaultReply {
  const lease = activeLease(ctx);
  if (!lease) return error(400, 'lease not found');
  const role = ctx.state.database?.roles.get(lease.role);
  const increment = Number(ctx.body['increment'] ?? 0) || role?.defaultTtlSeconds || SYSTEM_MAX_TTL_SECONDS;
  const now = ctx.world.now();
  const wanted = now.getTime() + increment * 1000;
  lease.expiresAt = new Date(Math.min(wanted, lease.maxExpiresAt.getTime()));
  lease.lastRenewal = now;
  const leaseDuration = seconds(lease.expiresAt) - seconds(now);
  const warnings =
    wanted > lease.maxExpiresAt.getTime()
      ? [`TTL of "${increment}s" exceeded the effective max_ttl of "${leaseDuration}s"; TTL value is capped accordingly`]
      : undefined;
  return { status: 200, data: {}, secret: { leaseId: lease.id, leaseDuration, renewable: true }, warnings };
}

async function revokeLease(ctx: VaultContext): Promise<VaultReply> {
  const lease = ctx.state.leases.get(leaseIdOf(ctx));
  // Revoking an unknown or already revoked lease succeeds: revocation is idempotent in Vault.
  if (!lease || lease.revokedAt) return { status: 204 };
  lease.revokedAt = ctx.world.now();
  const role = ctx.state.database?.roles.get(lease.role);
  const connection = ctx.state.database?.connections.get(lease.connection);
  const target = connection?.target;
  if (role && connection && target) {
    const statements = role.revocationStatements.length > 0 ? role.revocationStatements : defaultRevocation(connection.pluginName);
    await runStatements(ctx.world, target, statements, { name: lease.username, username: lease.username, password: lease.password, expiration: '' });
  }
  return { status: 204 };
}

// ---- KV version 2 ----

function kvRoute(rest: string, operation: VaultOperation): VaultRoute {
  if (rest === 'config') return { name: 'kv.config', handle: operation === 'read' ? kvConfig : undefined };
  if (rest === 'data' || rest.startsWith('data/')) {
    const handlers: Handlers = { read: kvRead, write: kvWrite };
    return { name: operation === 'write' ? 'kv.write' : 'kv.read', handle: handlers[operation] };
  }
  if (rest === 'metadata' || rest.startsWith('metadata/')) {
    const handlers: Handlers = { read: kvMetadata, list: kvList };
    return { name: operation === 'list' ? 'kv.list' : 'kv.metadata', handle: handlers[operation] };
  }
  // A KV v1-style path on a v2 mount: what `vault read secret/foo` gets without `kv get`.
  return {
    name: 'kv.invalid-path',
    handle: () => ({
      status: 404,
      errors: [],
      warnings: [
        "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.",
      ],
    }),
  };
}

function kvSecrets(ctx: VaultContext): { store: Map<string, KvSecret>; key: string } {
  const mount = findMount(ctx.state, ctx.path) as VaultMount;
  const store = ctx.state.kv.get(mount.path) ?? new Map<string, KvSecret>();
  ctx.state.kv.set(mount.path, store);
  const rest = ctx.path.slice(mount.path.length);
  return { store, key: rest.replace(/^(data|metadata)\/?/, '') };
}

function versionMetadata(secret: KvSecret, version: number) {
  const v = secret.versions[version - 1];
  return { created_time: v?.createdAt.toISOString() ?? '', custom_metadata: null, deletion_time: '', destroyed: false, version };
}

function kvRead(ctx: VaultContext): VaultReply {
  const { store, key } = kvSecrets(ctx);
  const secret = store.get(key);
  if (!secret) return NOT_FOUND;
  const asked = Number(ctx.query.get('version') ?? 0);
  const version = Number.isInteger(asked) && asked > 0 ? asked : secret.versions.length;
  const found = secret.versions[version - 1];
  if (!found) return NOT_FOUND;
  return { status: 200, data: { data: found.data, metadata: versionMetadata(secret, version) } };
}

function kvWrite(ctx: VaultContext): VaultReply {
  const { store, key } = kvSecrets(ctx);
  if (key === '') return error(400, 'missing path');
  const data = ctx.body['data'];
  if (!data || typeof data !== 'object' || Array.isArray(data)) return error(400, 'no data provided');
  const existing = store.get(key);
  const cas = (ctx.body['options'] as { cas?: unknown } | undefined)?.cas;
  if (cas !== undefined && Number(cas) !== (existing?.versions.length ?? 0)) {
    return error(400, 'check-and-set parameter did not match the current version');
  }
  const now = ctx.world.now();
  const secret = existing ?? { versions: [], createdAt: now, updatedAt: now };
  secret.versions.push({ data: data as Record<string, unknown>, createdAt: now });
  secret.updatedAt = now;
  store.set(key, secret);
  return { status: 200, data: versionMetadata(secret, secret.versions.length) };
}

function kvMetadata(ctx: VaultContext): VaultReply {
  const { store, key } = kvSecrets(ctx);
  const secret = store.get(key);
  if (!secret) return NOT_FOUND;
  const versions = Object.fromEntries(
    secret.versions.map((v, i) => [String(i + 1), { created_time: v.createdAt.toISOString(), deletion_time: '', destroyed: false }]),
  );
  return {
    status: 200,
    data: {
      cas_required: false,
      created_time: secret.createdAt.toISOString(),
      current_version: secret.versions.length,
      custom_metadata: null,
      delete_version_after: '0s',
      max_versions: 0,
      oldest_version: 0,
      updated_time: secret.updatedAt.toISOString(),
      versions,
    },
  };
}

function kvList(ctx: VaultContext): VaultReply {
  const { store, key } = kvSecrets(ctx);
  const prefix = key === '' ? '' : `${key}/`;
  const keys = new Set<string>();
  for (const name of store.keys()) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const slash = rest.indexOf('/');
    keys.add(slash === -1 ? rest : rest.slice(0, slash + 1));
  }
  if (keys.size === 0) return NOT_FOUND;
  return { status: 200, data: { keys: [...keys].sort() } };
}

function kvConfig(): VaultReply {
  return { status: 200, data: { cas_required: false, delete_version_after: '0s', max_versions: 0 } };
}

// ---- database secrets engine ----

function databaseRoute(rest: string, operation: VaultOperation): VaultRoute {
  const [section, ...names] = rest.split('/');
  const name = names.join('/');
  if (section === 'creds' && name) return { name: 'database.creds', handle: operation === 'read' ? issueCredentials : undefined };
  if (section === 'roles' && name) return { name: 'database.role', handle: operation === 'read' ? readRole : undefined };
  if (section === 'roles') return { name: 'database.roles.list', handle: operation === 'list' ? listRoles : undefined };
  if (section === 'config' && name) return { name: 'database.config', handle: operation === 'read' ? readConnection : undefined };
  if (section === 'config') return { name: 'database.config.list', handle: operation === 'list' ? listConnections : undefined };
  return { name: 'unknown', handle: () => error(404, `no handler for route "${rest}". route entry not found.`) };
}

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function readRole(ctx: VaultContext): VaultReply {
  const role = ctx.state.database?.roles.get(lastSegment(ctx.path));
  if (!role) return NOT_FOUND;
  return {
    status: 200,
    data: {
      db_name: role.connection,
      default_ttl: role.defaultTtlSeconds,
      max_ttl: role.maxTtlSeconds,
      creation_statements: role.creationStatements,
      revocation_statements: role.revocationStatements,
      rollback_statements: [],
      renew_statements: [],
      credential_type: 'password',
      credential_config: {},
    },
  };
}

function listRoles(ctx: VaultContext): VaultReply {
  const keys = [...(ctx.state.database?.roles.keys() ?? [])].sort();
  return keys.length === 0 ? NOT_FOUND : { status: 200, data: { keys } };
}

function listConnections(ctx: VaultContext): VaultReply {
  const keys = [...(ctx.state.database?.connections.keys() ?? [])].sort();
  return keys.length === 0 ? NOT_FOUND : { status: 200, data: { keys } };
}

/** Vault never returns a literal password in a connection URL: it answers with `*****` in its place. */
export function redactConnectionUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]+:)([^@/]+)@/i, (whole, head: string, password: string) =>
    password === '{{password}}' ? whole : `${head}*****@`,
  );
}

function readConnection(ctx: VaultContext): VaultReply {
  const connection = ctx.state.database?.connections.get(lastSegment(ctx.path));
  if (!connection) return NOT_FOUND;
  return {
    status: 200,
    data: {
      allowed_roles: connection.allowedRoles,
      connection_details: {
        connection_url: redactConnectionUrl(connection.connectionUrl),
        username: connection.username,
        max_open_connections: 4,
        max_idle_connections: 0,
        max_connection_lifetime: '0s',
      },
      password_policy: '',
      plugin_name: connection.pluginName,
      plugin_version: '',
      root_credentials_rotate_statements: [],
      verify_connection: true,
    },
  };
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomString(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

/** Vault's default PostgreSQL revocation when a role names none. */
const DEFAULT_POSTGRES_REVOCATION = [
  'REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM "{{name}}";',
  'REVOKE USAGE ON SCHEMA public FROM "{{name}}";',
  'DROP ROLE IF EXISTS "{{name}}";',
];
/** Vault's default MySQL revocation (mysql-*-database-plugin) when a role names none. */
const DEFAULT_MYSQL_REVOCATION = ["REVOKE ALL PRIVILEGES, GRANT OPTION FROM '{{name}}'@'%';", "DROP USER '{{name}}'@'%';"];

function isMysqlPlugin(pluginName: string): boolean {
  return pluginName.startsWith('mysql-');
}

function defaultRevocation(pluginName: string): string[] {
  return isMysqlPlugin(pluginName) ? DEFAULT_MYSQL_REVOCATION : DEFAULT_POSTGRES_REVOCATION;
}

/**
 * The user name Vault generates, with each plugin's default template: PostgreSQL allows 63 characters;
 * MySQL 5.7+ allows 32 (`mysql-database-plugin`); the legacy, RDS and Aurora MySQL plugins keep to 16.
 */
function generatedUsername(pluginName: string, displayName: string, roleName: string, now: Date): string {
  if (!isMysqlPlugin(pluginName)) return `v-${displayName.slice(0, 8)}-${roleName.slice(0, 8)}-${randomString(20)}-${seconds(now)}`.slice(0, 63);
  if (pluginName === 'mysql-database-plugin') return `v-${displayName.slice(0, 10)}-${roleName.slice(0, 10)}-${randomString(20)}-${seconds(now)}`.slice(0, 32);
  return `v-${displayName.slice(0, 4)}-${roleName.slice(0, 4)}-${randomString(20)}-${seconds(now)}`.slice(0, 16);
}

/** `2006-01-02 15:04:05+0000`: the format Vault fills `{{expiration}}` with. */
function expirationText(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}+0000`;
}

/**
 * Runs statements on the sandbox database; answers why it could not, with the password cut out of
 * the reason (a database error may quote the statement it failed on).
 */
async function runStatements(world: World, target: DbTarget, statements: string[], vars: Record<string, string>): Promise<string | undefined> {
  try {
    for (const statement of statements) {
      for (const part of statement.split(';').map((s) => s.trim()).filter((s) => s !== '')) {
        await executeSql(world, target, part.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => vars[key] ?? whole));
      }
    }
    return undefined;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return (vars['password'] ? message.split(vars['password']).join('[redacted]') : message).slice(0, 300);
  }
}

async function issueCredentials(ctx: VaultContext): Promise<VaultReply> {
  const engine = ctx.state.database;
  const roleName = lastSegment(ctx.path);
  const role: DbRole | undefined = engine?.roles.get(roleName);
  if (!engine || !role) return error(400, `unknown role: ${roleName}`);
  const connection = engine.connections.get(role.connection);
  if (!connection) return error(500, `failed to find entry for connection with name: "${role.connection}"`);
  if (!connection.allowedRoles.includes(role.name) && !connection.allowedRoles.includes('*')) {
    return error(500, `"${role.name}" is not an allowed role`);
  }
  const maxTtl = Math.min(role.maxTtlSeconds || SYSTEM_MAX_TTL_SECONDS, SYSTEM_MAX_TTL_SECONDS);
  const ttl = Math.min(role.defaultTtlSeconds || SYSTEM_MAX_TTL_SECONDS, maxTtl);
  const now = ctx.world.now();
  const username = generatedUsername(connection.pluginName, ctx.token?.displayName ?? 'token', role.name, now);
  const password = `A1a-${randomString(16)}`;
  const expiresAt = new Date(now.getTime() + ttl * 1000);
  const lease: Lease = {
    id: `${engine.mount}/creds/${role.name}/${randomString(24)}`,
    mount: engine.mount,
    role: role.name,
    connection: connection.name,
    username,
    password,
    issuedAt: now,
    expiresAt,
    maxExpiresAt: new Date(now.getTime() + maxTtl * 1000),
    provisioning: 'skipped',
  };
  if (connection.target && role.creationStatements.length > 0) {
    const failure = await runStatements(ctx.world, connection.target, role.creationStatements, {
      name: username,
      username,
      password,
      expiration: expirationText(expiresAt),
    });
    lease.provisioning = failure === undefined ? 'created' : 'failed';
    lease.provisioningError = failure;
  }
  ctx.state.leases.set(lease.id, lease);
  return { status: 200, data: { username, password }, secret: { leaseId: lease.id, leaseDuration: ttl, renewable: true } };
}
