/**
 * A replica whose PostgreSQL goes away: /readyz turns not-ready and says why, the replica claims
 * nothing, and once the server is back it is ready and claims again. The server is this test's own
 * (stopped and started on the same port with the same data); the service runs on real time with a short
 * heartbeat, polled with a bound.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { ConfigError } from '../../src/core/errors.js';
import { sandboxEnv } from '../../src/sandbox/index.js';
import { startService, type RunningService } from '../../src/service/serve.js';
import { createToken } from '../../src/service/tokens.js';
import type { Replica } from '../../src/service/cluster.js';
import { skipWithoutPostgres, startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { BASIC_SCENARIO, startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait.js';

interface Readiness {
  status: number;
  body: { status: string; reasons?: string[] };
}

async function readyz(service: RunningService): Promise<Readiness> {
  const res = await fetch(`${service.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Readiness['body'] };
}

/** Bounded polling of the replica's real heartbeats. */
const probeItem = (n: number) => ({ key: `lock:readiness-${n}`, kind: 'lock', subject: `readiness-${n}`, dueAt: new Date().toISOString() });

describe.skipIf(skipWithoutPostgres)('a replica that loses its database', () => {
  let server: TestPostgres;
  let sandbox: TestSandbox;
  let app: App;
  let service: RunningService;
  let configFile: string;
  let schedules: string;
  let dir: string;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-readiness-'));
    server = await startTestPostgres({ own: true });
    sandbox = await startTestSandbox(BASIC_SCENARIO);
    Object.assign(process.env, sandboxEnv(sandbox));
    delete process.env['AWS_PROFILE'];
    const url = await server.newDatabase();
    configFile = join(dir, 'vigil.config.yaml');
    writeFileSync(
      configFile,
      `version: 1
accounts:
  - { id: "222222222222", name: production, roleArn: "arn:aws:iam::222222222222:role/VigilAudit", externalId: vigil-external, regions: [us-east-1] }
store:
  postgres:
    url: ${url}
service:
  cluster: { replicaId: vigil-r, leaseTimeout: 1500ms, heartbeatInterval: 250ms }
`,
    );
    schedules = join(dir, 'schedules');
    mkdirSync(schedules);
    app = await createApp({ configFile, dataDir: dir, env: process.env });
    service = await startService(app, { port: 0, schedulesDir: schedules });
  }, 60_000);

  afterAll(async () => {
    await server?.start();
    await service?.stop();
    await app?.close();
    await sandbox?.stop();
    await server?.stop();
    process.env = savedEnv;
  });

  it('reports not-ready with the reason and claims nothing while the database is gone, then recovers', async () => {
    const replica = service.replica as Replica;
    const before = await readyz(service);

    await server.stop();
    const down = await waitFor('/readyz to report the database', async () => {
      const r = await readyz(service);
      return r.body.reasons?.some((x) => x.startsWith('the database cannot be reached')) ? r : undefined;
    });
    const claimedWhileDown = await replica.claim(probeItem(1), () => undefined);
    const statsWhileDown = replica.stats();
    await server.start();
    const up = await waitFor('/readyz to be ready again', async () => {
      const r = await readyz(service);
      return r.status === 200 ? r : undefined;
    });
    const claimedAfter = await replica.claim(probeItem(2), () => undefined);

    expect(before).toEqual({ status: 200, body: { status: 'ready' } });
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('not ready');
    expect(down.body.reasons).toContainEqual(expect.stringMatching(/^the database cannot be reached since \S+ \(.+\); this replica claims no work until it is back$/));
    expect(claimedWhileDown).toBeUndefined();
    expect(statsWhileDown.reachable).toBe(false);
    expect(up).toEqual({ status: 200, body: { status: 'ready' } });
    expect(claimedAfter?.claimed).toBe(true);
    const store = app.store();
    expect((await store.cluster?.listLeases({ kind: 'lock' }))?.map((l) => [l.key, l.owner])).toEqual([['lock:readiness-2', 'vigil-r']]);
    const auditor = await createToken(store.tokens, { name: 'prometheus', role: 'auditor' }, { actor: 'test', reason: 'metrics', clock: app.clock });
    const metrics = await (await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${auditor.token}` } })).text();
    expect(metrics).toMatch(/vigil_replica_store_reachable\{replica="vigil-r"\} 1/);
    expect(metrics).toMatch(/vigil_replica_leases_held\{replica="vigil-r"\} 1/);
  }, 60_000);

  it('refuses a second process under a replica id a live process uses, before it claims anything', async () => {
    const second = await createApp({ configFile, dataDir: dir, env: process.env });
    const leases = async () => (await app.store().cluster?.listLeases())?.map((l) => [l.key, l.owner, l.claims]);
    const leasesBefore = await leases();

    const started = startService(second, { port: 0, schedulesDir: schedules });

    try {
      await expect(started).rejects.toThrow(ConfigError);
      await expect(started).rejects.toThrow(/service\.cluster\.replicaId: replica id "vigil-r" is in use by a live process/);
      expect(await leases()).toEqual(leasesBefore);
      expect((await readyz(service)).status).toBe(200);
    } finally {
      await second.close();
    }
  }, 30_000);
});
