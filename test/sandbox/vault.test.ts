import { fileURLToPath } from 'node:url';
import nodeVault from 'node-vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, ManualClock } from '../../src/core/clock.js';
import { DEMO_SCENARIO_URL, loadScenario } from '../../src/sandbox/scenario.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const ROOT = 'hvs.test-root-token';
const LIMITED = 'hvs.test-limited-token';

const SCENARIO = `
name: vault-test
accounts:
  - id: "111111111111"
    name: management
vault:
  version: 1.15.6
  tokens:
    - token: ${ROOT}
    - token: ${LIMITED}
      displayName: token-vigil
      policies: [vigil-read]
      paths: ["secret/*"]
      ttl: 768h
  kv:
    secret:
      vigil:
        slack_token: xoxb-test-token
        pagerduty_routing_key: abcdefabcdefabcdefabcdefabcdef12
      rds/lms-prod:
        username: dbadmin
        password: master-secret-password
      rds/lms-staging:
        username: dbadmin
        password: other-password
  database:
    mount: database
    connections:
      lms-prod:
        account: "222222222222"
        region: us-east-1
        dbInstanceIdentifier: lms-prod
      legacy:
        connectionUrl: postgresql://admin:hunter2-literal@legacy.example.com:5432/app
        allowedRoles: ["*"]
    roles:
      lms-readonly:
        connection: lms-prod
        defaultTtl: 1h
        maxTtl: 24h
        creationStatements:
          - CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";
      lms-admin:
        connection: lms-prod
        defaultTtl: 1h
        maxTtl: 720h
  audit:
    - path: file
      type: file
`;

const START = new Date('2026-03-01T12:00:00Z');
let clock: ManualClock;
let sandbox: TestSandbox;

function client(token: string = ROOT) {
  // Node's HTTP server cannot parse the LIST verb, so lists go as `GET ?list=1`, which Vault also accepts.
  return nodeVault({ apiVersion: 'v1', endpoint: sandbox.info.vaultAddr, token, noCustomHTTPVerbs: true });
}

function failure(promise: Promise<unknown>): Promise<{ message: string; response?: { statusCode: number; body: unknown } }> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: { message: string; response?: { statusCode: number; body: unknown } }) => err,
  );
}

beforeAll(async () => {
  clock = new ManualClock(START);
  sandbox = await startTestSandbox(SCENARIO, { clock });
});

afterAll(async () => {
  await sandbox.stop();
});

describe('Vault status and tokens', () => {
  it('reports health as an initialized, unsealed, active node', async () => {
    const health = await client().health();

    expect(health).toMatchObject({ initialized: true, sealed: false, standby: false, version: '1.15.6', server_time_utc: START.getTime() / 1000 });
  });

  it('answers 503 on sys/health and "Vault is sealed" elsewhere when sealed', async () => {
    const sealed = await startTestSandbox(`
name: sealed
accounts: [{ id: "111111111111", name: management }]
vault: { sealed: true, tokens: [{ token: ${ROOT} }] }
`);
    const vault = nodeVault({ endpoint: sealed.info.vaultAddr, token: ROOT });

    const res = await fetch(`${sealed.info.vaultAddr}/v1/sys/health`);
    const health = await vault.health();
    const error = await failure(vault.read('secret/data/vigil'));
    await sealed.stop();

    expect(res.status).toBe(503);
    expect(health).toMatchObject({ initialized: true, sealed: true });
    expect(error).toMatchObject({ message: 'Vault is sealed', response: { statusCode: 503 } });
  });

  it('looks up its own token with policies and ttl', async () => {
    const self = await client(LIMITED).tokenLookupSelf();

    expect(self.data).toMatchObject({ display_name: 'token-vigil', policies: ['vigil-read'], renewable: true, type: 'service', id: LIMITED });
    expect(self.data.ttl).toBe(768 * 3600 - 30 * 24 * 3600);
  });

  it.each([
    ['an unknown token', 'hvs.not-a-token'],
    ['no token at all', ''],
  ])('refuses %s with 403 permission denied', async (_case, token) => {
    const error = await failure(nodeVault({ endpoint: sandbox.info.vaultAddr, token }).read('secret/data/vigil'));

    expect(error).toMatchObject({ message: 'permission denied', response: { statusCode: 403, body: { errors: ['permission denied'] } } });
  });

  it('limits a token to the paths its policy grants', async () => {
    const vault = client(LIMITED);

    const allowed = await vault.read('secret/data/vigil');
    const creds = await failure(vault.read('database/creds/lms-readonly'));
    const audit = await failure(vault.audits());

    expect(allowed.data.data.slack_token).toBe('xoxb-test-token');
    expect(creds.response?.statusCode).toBe(403);
    expect(audit.response?.statusCode).toBe(403);
  });
});

describe('Vault sys endpoints', () => {
  it('lists the enabled audit devices', async () => {
    const audits = await client().audits();

    expect(audits.data).toEqual({ 'file/': { type: 'file', description: '', options: { file_path: '/var/log/vault/audit.log' }, local: false, path: 'file/' } });
    expect(audits['file/']).toEqual(audits.data['file/']);
  });

  it('lists the mounts with their engine types', async () => {
    const mounts = await client().mounts();

    expect(Object.keys(mounts.data).sort()).toEqual(['cubbyhole/', 'database/', 'identity/', 'secret/', 'sys/']);
    expect(mounts.data['secret/']).toMatchObject({ type: 'kv', options: { version: '2' } });
    expect(mounts.data['database/']).toMatchObject({ type: 'database' });
  });

  it('answers an unknown path with 404 no handler', async () => {
    const error = await failure(client().read('nothing/here'));

    expect(error).toMatchObject({ message: 'no handler for route "nothing/here". route entry not found.', response: { statusCode: 404 } });
  });
});

describe('Vault KV version 2', () => {
  it('reads a secret with its version metadata', async () => {
    const secret = await client().read('secret/data/rds/lms-prod');

    expect(secret.data.data).toEqual({ username: 'dbadmin', password: 'master-secret-password' });
    expect(secret.data.metadata).toMatchObject({ version: 1, destroyed: false, deletion_time: '' });
    expect(secret.mount_type).toBe('kv');
  });

  it('writes new versions, reads old ones, and refuses a stale check-and-set', async () => {
    const vault = client();

    const first = await vault.write('secret/data/drill/new', { data: { value: 'one' } });
    const second = await vault.write('secret/data/drill/new', { data: { value: 'two' }, options: { cas: 1 } });
    const stale = await failure(vault.write('secret/data/drill/new', { data: { value: 'three' }, options: { cas: 1 } }));
    const latest = await vault.read('secret/data/drill/new');
    const old = await vault.read('secret/data/drill/new?version=1');

    expect([first.data.version, second.data.version]).toEqual([1, 2]);
    expect(stale).toMatchObject({ message: 'check-and-set parameter did not match the current version', response: { statusCode: 400 } });
    expect(latest.data).toMatchObject({ data: { value: 'two' }, metadata: { version: 2 } });
    expect(old.data.data).toEqual({ value: 'one' });
  });

  it('lists keys and folders under a metadata path', async () => {
    const vault = client();

    const top = await vault.list('secret/metadata');
    const rds = await vault.list('secret/metadata/rds');

    expect(top.data.keys).toEqual(expect.arrayContaining(['rds/', 'vigil']));
    expect(rds.data.keys).toEqual(['lms-prod', 'lms-staging']);
  });

  it('answers a missing secret with 404 and a v1-style path with the versioned-KV warning', async () => {
    const vault = client();

    const missing = await failure(vault.read('secret/data/nope'));
    const v1Style = await fetch(`${sandbox.info.vaultAddr}/v1/secret/vigil`, { headers: { 'X-Vault-Token': ROOT } });

    expect(missing).toMatchObject({ response: { statusCode: 404, body: { errors: [] } } });
    expect(v1Style.status).toBe(404);
    expect(((await v1Style.json()) as { warnings: string[] }).warnings[0]).toContain('Invalid path for a versioned K/V secrets engine');
  });
});

describe('Vault database secrets engine', () => {
  it('describes roles and connections, with literal passwords redacted', async () => {
    const vault = client();

    const roles = await vault.list('database/roles');
    const admin = await vault.read('database/roles/lms-admin');
    const prod = await vault.read('database/config/lms-prod');
    const legacy = await vault.read('database/config/legacy');

    expect(roles.data.keys).toEqual(['lms-admin', 'lms-readonly']);
    expect(admin.data).toMatchObject({ db_name: 'lms-prod', default_ttl: 3600, max_ttl: 720 * 3600 });
    expect(prod.data).toMatchObject({
      plugin_name: 'postgresql-database-plugin',
      allowed_roles: ['lms-readonly', 'lms-admin'],
      connection_details: { connection_url: expect.stringMatching(/^postgresql:\/\/\{\{username\}\}:\{\{password\}\}@lms-prod\./), username: 'dbadmin' },
    });
    expect(legacy.data.connection_details.connection_url).toBe('postgresql://admin:*****@legacy.example.com:5432/app');
  });

  it('issues dynamic credentials with a lease, and still issues them when the database cannot be reached', async () => {
    const creds = await client().generateDatabaseCredentials({ databasePath: 'database', name: 'lms-readonly' });
    const leases = await sandbox.inspect<Array<Record<string, unknown>>>('vault/leases');

    expect(creds).toMatchObject({ lease_duration: 3600, renewable: true, lease_id: expect.stringMatching(/^database\/creds\/lms-readonly\/\w{24}$/) });
    expect(creds.data.username).toMatch(/^v-token-lms-read-\w{20}-\d+$/);
    expect(creds.data.password).toMatch(/^A1a-\w{16}$/);
    expect(leases.find((l) => l['lease_id'] === creds.lease_id)).toMatchObject({ role: 'lms-readonly', state: 'active', provisioning: 'failed' });
    expect(JSON.stringify(leases)).not.toContain(creds.data.password);
  });

  it('answers an unknown role with 400', async () => {
    const error = await failure(client().read('database/creds/nope'));

    expect(error).toMatchObject({ message: 'unknown role: nope', response: { statusCode: 400 } });
  });

  it('renews a lease up to the role max_ttl, expires it on the clock, and revokes', async () => {
    const vault = client();
    const creds = await vault.read('database/creds/lms-readonly');

    const renewed = await vault.write('sys/leases/renew', { lease_id: creds.lease_id, increment: 48 * 3600 });
    await vault.revoke({ lease_id: creds.lease_id });
    const revokedLookup = await failure(vault.write('sys/leases/lookup', { lease_id: creds.lease_id }));
    const other = await vault.read('database/creds/lms-readonly');
    clock.advance(2 * HOUR_MS);
    const leases = await sandbox.inspect<Array<{ lease_id: string; state: string }>>('vault/leases');
    clock.set(START);

    expect(renewed.lease_duration).toBe(24 * 3600);
    expect(renewed.warnings[0]).toContain('capped');
    expect(revokedLookup).toMatchObject({ message: 'invalid lease', response: { statusCode: 400 } });
    expect(leases.find((l) => l.lease_id === creds.lease_id)?.state).toBe('revoked');
    expect(leases.find((l) => l.lease_id === other.lease_id)?.state).toBe('expired');
  });
});

describe('Vault audit log', () => {
  it('logs requests and responses with secrets as HMACs that sys/audit-hash reproduces', async () => {
    const vault = client();
    await vault.read('secret/data/vigil');

    const hashed = await vault.write('sys/audit-hash/file', { input: 'xoxb-test-token' });
    const entries = await sandbox.inspect<
      Array<{ type: string; request: { path: string; client_token: string; mount_point: string }; response?: { data: { data: Record<string, string> } } }>
    >(
      'vault/audit?path=secret/data/vigil&type=response',
    );
    const last = entries.at(-1);

    expect(hashed.data.hash).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(last?.response?.data.data['slack_token']).toBe(hashed.data.hash);
    expect(last?.request.client_token).toMatch(/^hmac-sha256:/);
    expect(last?.request.mount_point).toBe('secret/');
    expect(JSON.stringify(entries)).not.toContain('xoxb-test-token');
    expect(JSON.stringify(entries)).not.toContain(ROOT);
  });

  it('logs denied requests too', async () => {
    await failure(client('hvs.intruder-token').read('secret/data/rds/lms-prod'));

    const entries = await sandbox.inspect<Array<{ type: string; error?: string }>>('vault/audit?path=secret/data/rds/lms-prod&type=request');

    expect(entries.at(-1)).toMatchObject({ type: 'request', error: 'permission denied' });
  });
});

describe('Vault faults', () => {
  it('answers throttled requests with 429 rate limit quota exceeded', async () => {
    await sandbox.setFaults([{ service: 'vault', operation: 'kv.read', throttle: { ratePerSecond: 0.001, burst: 1 } }]);
    const vault = client();

    await vault.read('secret/data/vigil');
    const error = await failure(vault.read('secret/data/vigil'));
    await sandbox.setFaults([]);

    expect(error).toMatchObject({ message: 'request path "secret/data/vigil": rate limit quota exceeded', response: { statusCode: 429 } });
  });

  it('answers an injected failure with a 500 and recovers on the next call', async () => {
    await sandbox.setFaults([{ service: 'vault', operation: 'auth.token.lookup-self', errorRate: 1, times: 1 }]);
    const vault = client();

    const error = await failure(vault.tokenLookupSelf());
    const self = await vault.tokenLookupSelf();
    await sandbox.setFaults([]);

    expect(error).toMatchObject({ message: 'internal error', response: { statusCode: 500 } });
    expect(self.data.policies).toEqual(['root']);
  });
});

describe('the demo scenario\'s Vault', () => {
  it('holds the Slack, PagerDuty and Statuspage secrets those sections accept, and the LMS database roles', async () => {
    const demo = loadScenario(fileURLToPath(DEMO_SCENARIO_URL));
    // Without regions: the AWS resources are not what this test is about, and seeding them is slow.
    const demoSandbox = await startTestSandbox({ ...demo, accounts: demo.accounts.map((a) => ({ ...a, regions: {} })) });
    const vault = nodeVault({ endpoint: demoSandbox.info.vaultAddr, token: 'hvs.sandbox-demo-token', noCustomHTTPVerbs: true });

    const secrets = (await vault.read('secret/data/vigil')).data.data;
    const master = (await vault.read('secret/data/rds/lms-prod')).data.data;
    const admin = (await vault.read('database/roles/lms-admin')).data;
    const readonly = (await vault.read('database/roles/lms-readonly')).data;
    const audits = await vault.audits();
    const slack = await fetch(`${demoSandbox.info.slackApiUrl}auth.test`, { method: 'POST', headers: { authorization: `Bearer ${secrets.slack_token}` } });
    const statuspage = await fetch(`${demoSandbox.info.statuspageApiUrl}/pages/cc-status/components`, { headers: { authorization: `OAuth ${secrets.statuspage_api_key}` } });
    await demoSandbox.stop();

    expect(((await slack.json()) as { ok: boolean }).ok).toBe(true);
    expect(((await statuspage.json()) as Array<{ name: string; status: string }>).map((c) => [c.name, c.status])).toEqual([
      ['SCORM Cloud Website', 'operational'],
      ['SCORM Cloud API', 'operational'],
      ['Content Delivery', 'operational'],
      ['Reporting', 'operational'],
    ]);
    expect(demo.pagerduty?.routingKeys).toEqual([{ key: secrets.pagerduty_routing_key, service: 'Coursecraft Platform' }]);
    expect(master.username).toBe('lms_admin');
    expect([readonly.default_ttl, readonly.max_ttl, admin.max_ttl]).toEqual([3600, 24 * 3600, 720 * 3600]);
    expect(Object.keys(audits.data)).toEqual(['file/']);
  });
});
