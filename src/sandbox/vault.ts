/**
 * HashiCorp Vault's HTTP API under `/v1/` (except Statuspage's `/v1/pages`): seal status, token auth
 * with per-token path policies, KV v2, the database secrets engine with leases, and file-style audit
 * devices that log every authenticated request with secrets HMAC'd, as Vault does.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { json, type Emulator, type HttpInput, type HttpOutput } from './http-types.js';
import type { Scenario } from './scenario.js';
import { accountIdSchema, durationSchema, regionNameSchema } from './scenario-types.js';
import { error, resolveRoute, UNSUPPORTED, type VaultContext, type VaultOperation, type VaultReply, type VaultRoute } from './vault-engines.js';
import { hmac, hmacStrings, leaseState, vaultState, type VaultMount, type VaultState, type VaultToken } from './vault-state.js';
import type { World } from './world.js';

// ---- scenario ----

const nameSchema = z.string().regex(/^[A-Za-z0-9][\w.-]*$/, 'expected a name of letters, digits, _ . and -');
const mountSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'expected a mount name such as secret');

const tokenScenario = z.strictObject({
  token: z.string().min(8),
  displayName: z.string().default('token'),
  /** Policy names lookup-self reports; `["root"]` for an unrestricted token, `["default"]` otherwise. */
  policies: z.array(z.string()).optional(),
  /**
   * Vault policy path globs the token may use (`secret/*`, `database/creds/+`); any other path answers
   * 403 permission denied. Omit for a root token.
   */
  paths: z.array(z.string().min(1)).optional(),
  /** Time to live counted from the token's creation; omit for a token that never expires. */
  ttl: durationSchema.optional(),
  /** How long ago the token was created. */
  age: durationSchema.prefault('30d'),
});

const connectionScenario = z.strictObject({
  /** The sandbox RDS instance the connection points at; with all three, issued users are created on it. */
  account: accountIdSchema.optional(),
  region: regionNameSchema.optional(),
  dbInstanceIdentifier: z.string().optional(),
  pluginName: z.string().default('postgresql-database-plugin'),
  /** The user Vault connects as: the RDS master user. */
  username: z.string().default('dbadmin'),
  dbName: z.string().default('postgres'),
  /** Defaults to a templated URL to the instance; a literal password in it is redacted on read. */
  connectionUrl: z.string().optional(),
  /** Roles allowed to use the connection; defaults to every role that names it. */
  allowedRoles: z.array(z.string()).optional(),
});

const roleScenario = z.strictObject({
  connection: nameSchema,
  defaultTtl: durationSchema.optional(),
  maxTtl: durationSchema.optional(),
  /** SQL run to create each issued user; `{{name}}`, `{{password}}` and `{{expiration}}` are filled in. */
  creationStatements: z.array(z.string()).default([]),
  revocationStatements: z.array(z.string()).default([]),
});

const databaseScenario = z.strictObject({
  mount: mountSchema.default('database'),
  connections: z.record(nameSchema, connectionScenario).default({}),
  roles: z.record(nameSchema, roleScenario).default({}),
});

const auditScenario = z.strictObject({
  /** Where the device is enabled, e.g. `file` (listed as `file/`). */
  path: z.string().regex(/^[\w-]+$/, 'expected an audit device path such as file'),
  type: z.enum(['file', 'syslog', 'socket']),
  description: z.string().default(''),
  options: z.record(z.string(), z.string()).optional(),
  local: z.boolean().default(false),
});

const RESERVED_MOUNTS = ['sys', 'auth', 'cubbyhole', 'identity'];

export const vaultScenario = z
  .strictObject({
    initialized: z.boolean().default(true),
    sealed: z.boolean().default(false),
    /** A standby node: sys/health answers 429 unless `standbyok`. */
    standby: z.boolean().default(false),
    version: z.string().default('1.15.6'),
    tokens: z.array(tokenScenario).default([]),
    /** KV version 2 mounts: mount -> secret path -> key -> value (`secret: { vigil: { slack_token: ... } }`). */
    kv: z.record(mountSchema, z.record(z.string().min(1), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])))).default({}),
    database: databaseScenario.optional(),
    /** Enabled audit devices; with none, Vault writes no audit log. */
    audit: z.array(auditScenario).default([]),
  })
  .superRefine((vault, ctx) => {
    for (const mount of Object.keys(vault.kv)) {
      if (RESERVED_MOUNTS.includes(mount) || mount === vault.database?.mount) {
        ctx.addIssue({ code: 'custom', path: ['kv', mount], message: 'mount path is already used by another engine' });
      }
    }
    for (const [name, role] of Object.entries(vault.database?.roles ?? {})) {
      if (!vault.database?.connections[role.connection]) {
        ctx.addIssue({ code: 'custom', path: ['database', 'roles', name, 'connection'], message: `no connection named "${role.connection}" under database.connections` });
      }
    }
  });
export type VaultScenario = z.output<typeof vaultScenario>;

// ---- seeding ----

function deterministicHex(world: World, prefix: string, length: number): string {
  return world.id(prefix, length).slice(prefix.length + 1);
}

function uuid(world: World): string {
  const h = deterministicHex(world, 'uuid', 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function addMount(world: World, state: VaultState, path: string, type: VaultMount['type'], description: string, options: Record<string, string> | null = null): void {
  const accessorPrefix = type === 'system' ? 'system' : type === 'token' ? 'auth_token' : type;
  state.mounts.set(path, {
    path,
    type,
    description,
    accessor: `${accessorPrefix}_${deterministicHex(world, 'accessor', 8)}`,
    uuid: uuid(world),
    options,
    runningVersion: type === 'kv' ? 'v0.16.1+builtin' : type === 'database' ? 'v1.15.6+builtin.vault' : 'v1.15.6+builtin.vault',
  });
}

/** Vault as the scenario describes it; with no `vault:` section, an empty unsealed Vault no token can use. */
export function seedVault(world: World, scenario: Scenario): void {
  const state = vaultState(world);
  addMount(world, state, 'cubbyhole/', 'cubbyhole', 'per-token private secret storage');
  addMount(world, state, 'identity/', 'identity', 'identity store');
  addMount(world, state, 'sys/', 'system', 'system endpoints used for control, policy and debugging');
  addMount(world, state, 'auth/token/', 'token', 'token based credentials');
  const config = scenario.vault;
  if (!config) return;
  Object.assign(state, { initialized: config.initialized, sealed: config.sealed, standby: config.standby, version: config.version });
  state.clusterId = uuid(world);
  state.clusterName = `vault-cluster-${state.clusterId.slice(0, 8)}`;

  for (const t of config.tokens) {
    const issuedAt = world.ago(t.age);
    state.tokens.set(t.token, {
      token: t.token,
      accessor: createHash('sha256').update(`accessor:${t.token}`).digest('base64url').slice(0, 24),
      displayName: t.displayName,
      policies: t.policies ?? (t.paths ? ['default'] : ['root']),
      paths: t.paths,
      issuedAt,
      expiresAt: t.ttl === undefined ? undefined : new Date(issuedAt.getTime() + t.ttl),
      ttlSeconds: t.ttl === undefined ? 0 : Math.floor(t.ttl / 1000),
    });
  }

  for (const [mount, secrets] of Object.entries(config.kv)) {
    addMount(world, state, `${mount}/`, 'kv', 'key/value secret storage', { version: '2' });
    const store = new Map(Object.entries(secrets).map(([path, data]) => {
      const at = world.now();
      return [path.replace(/^\/|\/$/g, ''), { versions: [{ data, createdAt: at }], createdAt: at, updatedAt: at }];
    }));
    state.kv.set(`${mount}/`, store);
  }

  if (config.database) seedDatabase(world, state, config.database);

  state.auditDevices = config.audit.map((d) => ({
    path: d.path,
    type: d.type,
    description: d.description,
    options: d.options ?? (d.type === 'file' ? { file_path: '/var/log/vault/audit.log' } : {}),
    local: d.local,
  }));
}

function seedDatabase(world: World, state: VaultState, db: NonNullable<VaultScenario['database']>): void {
  addMount(world, state, `${db.mount}/`, 'database', 'database secrets engine');
  const roles = Object.entries(db.roles);
  const connections = new Map(
    Object.entries(db.connections).map(([name, c]) => {
      const target = c.account && c.region && c.dbInstanceIdentifier ? { accountId: c.account, region: c.region, dbInstanceIdentifier: c.dbInstanceIdentifier } : undefined;
      const host = target ? `${target.dbInstanceIdentifier}.sandbox.${target.region}.rds.amazonaws.com` : 'localhost';
      return [
        name,
        {
          name,
          pluginName: c.pluginName,
          // Each plugin's URL form: a libpq URL for PostgreSQL, a Go MySQL DSN for the MySQL plugins.
          connectionUrl:
            c.connectionUrl ??
            (c.pluginName.startsWith('mysql-') ? `{{username}}:{{password}}@tcp(${host}:3306)/${c.dbName}?tls=true` : `postgresql://{{username}}:{{password}}@${host}:5432/${c.dbName}?sslmode=require`),
          username: c.username,
          allowedRoles: c.allowedRoles ?? roles.filter(([, r]) => r.connection === name).map(([roleName]) => roleName),
          target,
        },
      ];
    }),
  );
  state.database = {
    mount: db.mount,
    connections,
    roles: new Map(
      roles.map(([name, r]) => [
        name,
        {
          name,
          connection: r.connection,
          defaultTtlSeconds: Math.floor((r.defaultTtl ?? 0) / 1000),
          maxTtlSeconds: Math.floor((r.maxTtl ?? 0) / 1000),
          creationStatements: r.creationStatements,
          revocationStatements: r.revocationStatements,
        },
      ]),
    ),
  };
}

// ---- requests ----

/** Slack owns `/api/*`, Statuspage `/v1/pages*`; Vault the rest of `/v1/*`. */
function isVaultPath(path: string): boolean {
  return path.startsWith('/v1/') && path !== '/v1/pages' && !path.startsWith('/v1/pages/') && !path.startsWith('/v1/pages.json');
}

function operationOf(input: HttpInput): VaultOperation {
  const method = input.method.toUpperCase();
  // Node's HTTP parser refuses Vault's LIST verb, so clients reach the sandbox with `GET ?list=true`.
  if (method === 'LIST') return 'list';
  if (method === 'GET' || method === 'HEAD') return ['true', '1', 't'].includes((input.query.get('list') ?? '').toLowerCase()) ? 'list' : 'read';
  if (method === 'DELETE') return 'delete';
  return 'write';
}

function tokenOf(input: HttpInput): string | undefined {
  const header = input.headers['x-vault-token'];
  if (typeof header === 'string' && header !== '') return header;
  const auth = input.headers.authorization;
  return typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
}

/** Vault policy globs: a trailing `*` matches any suffix, `+` one path segment. */
export function policyMatches(pattern: string, path: string): boolean {
  const glob = pattern.endsWith('*');
  const body = glob ? pattern.slice(0, -1) : pattern;
  const source = body
    .split('+')
    .map((part) => part.replace(/[.?^${}()|[\]\\/]/g, '\\$&'))
    .join('[^/]+');
  const re = new RegExp(`^${source}${glob ? '.*' : ''}$`);
  return re.test(path) || re.test(`${path}/`);
}

function permitted(token: VaultToken, route: VaultRoute, path: string): boolean {
  if (!token.paths) return true;
  if (route.defaultPolicy) return true;
  // sudo is not carried by a catch-all grant: the path must be granted on its own.
  const patterns = route.sudo ? token.paths.filter((p) => p !== '*' && p !== '+') : token.paths;
  return patterns.some((p) => policyMatches(p, path));
}

const AUDIT_OPERATIONS: Record<VaultOperation, string> = { read: 'read', list: 'list', write: 'update', delete: 'delete' };
const MAX_AUDIT_ENTRIES = 50_000;

interface AuditInput {
  state: VaultState;
  world: World;
  requestId: string;
  path: string;
  operation: VaultOperation;
  route: VaultRoute;
  body: Record<string, unknown>;
  presentedToken?: string;
  token?: VaultToken;
  reply: VaultReply;
}

/** A request and a response entry per call, as Vault's file device writes them: secrets as HMACs. */
function writeAudit(a: AuditInput): void {
  if (a.state.auditDevices.length === 0) return;
  const { state } = a;
  const time = a.world.now().toISOString();
  const auth = a.token
    ? {
        client_token: hmac(state, a.token.token),
        accessor: hmac(state, a.token.accessor),
        display_name: a.token.displayName,
        policies: a.token.policies,
        token_policies: a.token.policies,
        token_type: 'service',
        token_issue_time: a.token.issuedAt.toISOString(),
      }
    : {};
  const mount = a.route.mount;
  const mountFields = mount ? { mount_point: mount.path, mount_type: mount.type, mount_accessor: mount.accessor, mount_running_version: mount.runningVersion } : {};
  const request = {
    id: a.requestId,
    operation: AUDIT_OPERATIONS[a.operation],
    ...mountFields,
    client_token: a.presentedToken ? hmac(state, a.presentedToken) : '',
    client_token_accessor: a.token ? hmac(state, a.token.accessor) : '',
    namespace: { id: 'root' },
    path: a.path,
    ...(Object.keys(a.body).length > 0 ? { data: hmacStrings(state, a.body) } : {}),
    remote_address: '127.0.0.1',
  };
  const failure = a.reply.errors && a.reply.errors.length > 0 ? { error: a.reply.errors.join('; ') } : {};
  const response = {
    ...mountFields,
    ...(a.reply.data !== undefined ? { data: hmacStrings(state, a.reply.data) } : {}),
    ...(a.reply.secret ? { secret: { lease_id: a.reply.secret.leaseId } } : {}),
    ...(a.reply.warnings ? { warnings: a.reply.warnings } : {}),
  };
  state.auditLog.push({ time, type: 'request', auth, request, ...failure }, { time, type: 'response', auth, request, response, ...failure });
  if (state.auditLog.length > MAX_AUDIT_ENTRIES) state.auditLog.splice(0, state.auditLog.length - MAX_AUDIT_ENTRIES);
}

function toHttp(reply: VaultReply, requestId: string, route: VaultRoute): HttpOutput {
  if (reply.errors) {
    const body = reply.warnings ? { errors: reply.errors, warnings: reply.warnings } : { errors: reply.errors };
    return { ...json(reply.status, body), errorCode: reply.errors[0] ?? `HTTP ${reply.status}` };
  }
  if (reply.status === 204) return { status: 204 };
  if (reply.raw !== undefined) return json(reply.status, reply.raw);
  return json(reply.status, {
    request_id: requestId,
    lease_id: reply.secret?.leaseId ?? '',
    renewable: reply.secret?.renewable ?? false,
    lease_duration: reply.secret?.leaseDuration ?? 0,
    data: reply.data ?? null,
    wrap_info: null,
    warnings: reply.warnings ?? null,
    auth: null,
    mount_type: route.mount?.type ?? '',
    ...reply.topLevel,
  });
}

function parseBody(input: HttpInput): { body: Record<string, unknown> } | { invalid: VaultReply } {
  if (input.body.length === 0) return { body: {} };
  try {
    const parsed: unknown = JSON.parse(input.body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return { body: parsed as Record<string, unknown> };
    return { invalid: error(400, 'failed to parse JSON input: the body is not a JSON object') };
  } catch (err) {
    return { invalid: error(400, `failed to parse JSON input: ${err instanceof Error ? err.message : String(err)}`) };
  }
}

interface Call {
  world: World;
  input: HttpInput;
  path: string;
  operation: VaultOperation;
  route: VaultRoute;
  requestId: string;
}

async function handle({ world, input, path, operation, route, requestId }: Call): Promise<VaultReply> {
  const state = vaultState(world);
  const parsed = parseBody(input);
  if ('invalid' in parsed) return parsed.invalid;
  const ctx: VaultContext = { world, state, path, operation, query: input.query, body: parsed.body };
  if (route.unauthenticated) return route.handle ? route.handle(ctx) : UNSUPPORTED;
  if (!state.initialized) return error(503, 'Vault is not initialized');
  if (state.sealed) return error(503, 'Vault is sealed');

  const presentedToken = tokenOf(input);
  const candidate = presentedToken === undefined ? undefined : state.tokens.get(presentedToken);
  const expired = candidate?.expiresAt !== undefined && candidate.expiresAt.getTime() <= world.now().getTime();
  const token = candidate && !expired ? candidate : undefined;
  let reply: VaultReply;
  if (!token || !permitted(token, route, path)) reply = error(403, 'permission denied');
  else if (!route.handle) reply = UNSUPPORTED;
  else reply = await route.handle({ ...ctx, token });
  writeAudit({ state, world, requestId, path, operation, route, body: ctx.body, presentedToken, token, reply });
  return reply;
}

export const vault: Emulator = {
  name: 'vault',
  route(input, world) {
    if (!isVaultPath(input.path)) return undefined;
    let path: string;
    try {
      path = decodeURIComponent(input.path.slice('/v1/'.length)).replace(/\/+$/, '');
    } catch {
      path = input.path.slice('/v1/'.length).replace(/\/+$/, '');
    }
    const operation = operationOf(input);
    const route = resolveRoute(vaultState(world), path, operation);
    return {
      service: 'vault',
      operation: route.name,
      handle: async () => {
        const requestId = world.requestId();
        return toHttp(await handle({ world, input, path, operation, route, requestId }), requestId, route);
      },
      // Vault's rate limit quotas answer 429 naming the path.
      throttled: () => ({ ...json(429, { errors: [`request path "${path}": rate limit quota exceeded`] }), errorCode: 'rate limit quota exceeded' }),
      failed: (status) => ({ ...json(status, { errors: ['internal error'] }), errorCode: 'internal error' }),
    };
  },
  inspect: {
    /** Issued database credentials; passwords only as the audit devices' HMAC. */
    'vault/leases': (world) => {
      const state = vaultState(world);
      const now = world.now();
      return [...state.leases.values()].map((l) => ({
        lease_id: l.id,
        mount: l.mount,
        role: l.role,
        connection: l.connection,
        username: l.username,
        password_hmac: hmac(state, l.password),
        issued_at: l.issuedAt.toISOString(),
        expires_at: l.expiresAt.toISOString(),
        max_expires_at: l.maxExpiresAt.toISOString(),
        last_renewal: l.lastRenewal?.toISOString() ?? null,
        revoked_at: l.revokedAt?.toISOString() ?? null,
        state: leaseState(l, now),
        provisioning: l.provisioning,
        ...(l.provisioningError ? { provisioning_error: l.provisioningError } : {}),
      }));
    },
    /** The audit log lines (`?path=` prefix and `?type=request|response` filters). */
    'vault/audit': (world, query) => {
      const path = query.get('path');
      const type = query.get('type');
      return vaultState(world).auditLog.filter(
        (entry) =>
          (type === null || entry['type'] === type) &&
          (path === null || String((entry['request'] as { path?: string } | undefined)?.path ?? '').startsWith(path)),
      );
    },
  },
};
