/** Vault facts for the Vault checks, through node-vault against the sandbox's Vault. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVaultClient } from '../../src/adapters/vault.js';
import { ttlSeconds, VaultInventory } from '../../src/adapters/vault-inventory.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const SCENARIO = (sealed: boolean) => `
name: vault-inventory
accounts:
  - id: "111111111111"
    name: management
vault:
  sealed: ${sealed}
  audit:
    - { path: file, type: file }
  tokens:
    - { token: hvs.full-reader, paths: ["database/*", "sys/audit", "sys/mounts", "sys/mounts/*"] }
    - { token: hvs.no-sudo, paths: ["database/*", "sys/mounts", "sys/mounts/*"] }
  database:
    mount: database
    connections:
      lms-prod: { username: lms_admin, dbName: lms }
    roles:
      lms-readonly: { connection: lms-prod, defaultTtl: 1h, maxTtl: 24h }
      lms-admin: { connection: lms-prod, defaultTtl: 1h, maxTtl: 720h }
`;

let healthy: TestSandbox;
let sealed: TestSandbox;

beforeAll(async () => {
  [healthy, sealed] = await Promise.all([startTestSandbox(SCENARIO(false)), startTestSandbox(SCENARIO(true))]);
}, 60_000);

afterAll(async () => {
  await Promise.all([healthy.stop(), sealed.stop()]);
});

describe('VaultInventory against the sandbox', () => {
  it('reads health, audit devices and the database engine with its roles and connections', async () => {
    const inventory = new VaultInventory(createVaultClient({ address: healthy.info.vaultAddr, token: 'hvs.full-reader' }));

    const server = await inventory.vaultServer();

    expect(server.address).toBe(healthy.info.vaultAddr);
    expect(server.health).toEqual({ ok: true, value: { initialized: true, sealed: false, standby: false, version: '1.15.6', clusterName: expect.any(String) as unknown } });
    expect(server.auditDevices).toEqual({ ok: true, value: [{ path: 'file/', type: 'file' }] });
    const [mount] = server.databaseMounts.ok ? server.databaseMounts.value : [];
    expect(mount?.path).toBe('database');
    expect(mount?.maxLeaseTtlSeconds).toEqual({ ok: true, value: 768 * 3600 });
    expect(mount?.roles).toEqual({
      ok: true,
      value: [
        { name: 'lms-admin', settings: { ok: true, value: { dbName: 'lms-prod', defaultTtlSeconds: 3600, maxTtlSeconds: 720 * 3600 } } },
        { name: 'lms-readonly', settings: { ok: true, value: { dbName: 'lms-prod', defaultTtlSeconds: 3600, maxTtlSeconds: 24 * 3600 } } },
      ],
    });
    expect(mount?.connections).toMatchObject({ ok: true, value: [{ name: 'lms-prod', pluginName: 'postgresql-database-plugin', allowedRoles: ['lms-readonly', 'lms-admin'] }] });
  });

  it('keeps what a token may not read as a reason, not a crash', async () => {
    const inventory = new VaultInventory(createVaultClient({ address: healthy.info.vaultAddr, token: 'hvs.no-sudo' }));

    const server = await inventory.vaultServer();

    expect(server.auditDevices).toEqual({ ok: false, reason: 'Vault read sys/audit: Vault denied access (permission denied)' });
    expect(server.databaseMounts.ok).toBe(true);
  });

  it('reports a sealed Vault as sealed, and what it cannot serve as unreadable', async () => {
    const inventory = new VaultInventory(createVaultClient({ address: sealed.info.vaultAddr, token: 'hvs.full-reader' }));

    const server = await inventory.vaultServer();

    expect(server.health).toMatchObject({ ok: true, value: { initialized: true, sealed: true } });
    expect(server.auditDevices).toEqual({ ok: false, reason: 'Vault read sys/audit: Vault answered 503' });
  });

  it('says so when no Vault is configured', async () => {
    const server = await new VaultInventory(undefined).vaultServer();

    expect(server).toEqual({
      kind: 'vault',
      health: { ok: false, reason: 'Vault is not configured (VAULT_ADDR/VAULT_TOKEN or integrations.vault).' },
      auditDevices: { ok: false, reason: 'Vault is not configured (VAULT_ADDR/VAULT_TOKEN or integrations.vault).' },
      databaseMounts: { ok: false, reason: 'Vault is not configured (VAULT_ADDR/VAULT_TOKEN or integrations.vault).' },
    });
  });
});

describe('ttlSeconds', () => {
  it.each([
    [86400, 86400],
    ['86400', 86400],
    ['24h', 86400],
    ['1h30m', 5400],
    ['720h', 2_592_000],
    ['soon', undefined],
    [null, undefined],
  ])('%s -> %s', (value, expected) => {
    expect(ttlSeconds(value)).toBe(expected);
  });
});
