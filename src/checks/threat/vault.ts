/**
 * Vault, which issues the production database credentials and keeps the audit log of who fetched
 * them: healthy and unsealed, auditing to at least one device, and its database roles issuing
 * credentials that expire within the promised time.
 */
import { z } from 'zod';
import { errorVerdict, fail, pass, type Verdict } from '../../core/results.js';
import { defineEvaluator } from '../evaluator.js';
import { known, type Resource } from '../resources.js';
import type { VaultServer } from './resources.js';
import { joinAnd } from './text.js';

export const VAULT_NOT_CONFIGURED = 'Vault is not configured (VAULT_ADDR/VAULT_TOKEN or integrations.vault).';

/** What Vault allows when neither a role nor its mount sets a max TTL (768h). */
export const VAULT_SYSTEM_MAX_TTL_SECONDS = 768 * 3600;

function asVault(resource: Resource): VaultServer {
  if (resource.kind !== 'vault') throw new Error(`a Vault evaluator was given ${resource.kind}`);
  return resource;
}

export function describeVault(v: VaultServer): string {
  return v.address ? `Vault at ${v.address}` : 'Vault';
}

function hours(seconds: number): string {
  const h = seconds / 3600;
  return `${Number.isInteger(h) ? h : h.toFixed(2)} hours`;
}

export const vaultHealth = defineEvaluator({
  name: 'vault-health',
  summary: 'Vault is initialized and unsealed, as an active node or a standby.',
  params: z.strictObject({}),
  subject: () => 'vault',
  needs: () => [],
  evaluate(resource) {
    const vault = asVault(resource);
    if (!vault.address) return errorVerdict(VAULT_NOT_CONFIGURED, {});
    const name = describeVault(vault);
    const health = known(vault.health, `the health of ${name}`);
    const facts = { address: vault.address, ...health };
    if (!health.initialized) return fail(`${name} is not initialized.`, facts);
    if (health.sealed) return fail(`${name} is sealed, so it issues no credentials and serves no secrets.`, facts);
    const role = health.standby ? 'a standby node' : 'active';
    return pass(`${name} is initialized, unsealed and ${role}${health.version ? ` (version ${health.version})` : ''}.`, facts);
  },
});

export const vaultAudit = defineEvaluator({
  name: 'vault-audit',
  summary: 'At least one Vault audit device is enabled, so every request is logged.',
  params: z.strictObject({ minDevices: z.number().int().min(1).default(1) }),
  subject: () => 'vault',
  needs: () => [],
  evaluate(resource, ctx) {
    const vault = asVault(resource);
    if (!vault.address) return errorVerdict(VAULT_NOT_CONFIGURED, {});
    const name = describeVault(vault);
    const devices = known(vault.auditDevices, `the audit devices of ${name}`);
    const facts = { address: vault.address, auditDevices: devices };
    const list = devices.map((d) => `${d.path} (${d.type})`);
    if (devices.length === 0) return fail(`${name} has no audit device enabled, so requests for secrets and database credentials are not logged.`, facts);
    if (devices.length < ctx.params.minDevices) return fail(`${name} has ${devices.length} audit device enabled (${joinAnd(list)}), fewer than ${ctx.params.minDevices}.`, facts);
    return pass(`${name} has ${devices.length} audit device${devices.length === 1 ? '' : 's'} enabled: ${joinAnd(list)}.`, facts);
  },
});

export const vaultDatabaseRoles = defineEvaluator({
  name: 'vault-database-roles',
  summary: 'The database secrets engine at the mount has roles, each issuing credentials whose max TTL is at most maxTtlHours; each role is its own result.',
  params: z.strictObject({
    mount: z.string().regex(/^[\w.-]+(\/[\w.-]+)*$/, 'expected a mount path such as database').default('database'),
    maxTtlHours: z.number().positive().default(24),
  }),
  subject: () => 'vault',
  needs: () => [],
  evaluate(resource, ctx) {
    const vault = asVault(resource);
    if (!vault.address) return errorVerdict(VAULT_NOT_CONFIGURED, {});
    const name = describeVault(vault);
    const { mount: path, maxTtlHours } = ctx.params;
    const mounts = known(vault.databaseMounts, `the secrets engines of ${name}`);
    const mount = mounts.find((m) => m.path === path);
    if (!mount) {
      const others = mounts.map((m) => `${m.path}/`);
      const elsewhere = others.length ? ` (database engines are mounted at ${joinAnd(others)})` : '';
      return fail(`${name} has no database secrets engine at ${path}/${elsewhere}, so it does not issue the database credentials.`, { address: vault.address, databaseMounts: others });
    }
    const roles = known(mount.roles, `the roles of ${path}/ in ${name}`);
    const connections = mount.connections.ok ? mount.connections.value : [];
    const mountFacts = { address: vault.address, mount: `${path}/`, connections };
    if (roles.length === 0) return fail(`${name}'s database secrets engine at ${path}/ has no roles, so it issues no database credentials.`, mountFacts);
    const mountMax = mount.maxLeaseTtlSeconds.ok && mount.maxLeaseTtlSeconds.value > 0 ? mount.maxLeaseTtlSeconds.value : undefined;
    const limitSeconds = maxTtlHours * 3600;
    return roles.map((role): Verdict => {
      const about = { resource: `vault:${vault.address}/${path}/roles/${role.name}`, name: `${path}/roles/${role.name}` };
      const label = `Vault database role ${path}/roles/${role.name}`;
      if (!role.settings.ok) return { ...errorVerdict(`${label}: could not read its settings: ${role.settings.reason}.`, mountFacts), about };
      const s = role.settings.value;
      // max_ttl 0 means "the mount's max", and an untuned mount means Vault's system max.
      if (s.maxTtlSeconds === 0 && !mountMax && !mount.maxLeaseTtlSeconds.ok) {
        return { ...errorVerdict(`${label} sets no max TTL and the max lease TTL of ${path}/ could not be read: ${mount.maxLeaseTtlSeconds.reason}.`, mountFacts), about };
      }
      const effective = s.maxTtlSeconds > 0 ? s.maxTtlSeconds : (mountMax ?? VAULT_SYSTEM_MAX_TTL_SECONDS);
      const from = s.maxTtlSeconds > 0 ? 'its max TTL' : mountMax ? `the max lease TTL of ${path}/` : "Vault's system max lease TTL";
      const connection = connections.find((c) => c.name === s.dbName);
      const facts = { ...mountFacts, role: role.name, dbName: s.dbName, connectionUrl: connection?.connectionUrl ?? null, defaultTtlSeconds: s.defaultTtlSeconds, maxTtlSeconds: s.maxTtlSeconds, effectiveMaxTtlSeconds: effective };
      const verdict =
        effective <= limitSeconds
          ? pass(`${label} (connection ${s.dbName}) issues credentials that live at most ${hours(effective)} (${from}).`, facts)
          : fail(`${label} (connection ${s.dbName}) lets credentials live up to ${hours(effective)} (${from}), longer than ${maxTtlHours} hours.`, facts);
      return { ...verdict, about };
    });
  },
});
