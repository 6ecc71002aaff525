import { DescribeAccountCommand } from '@aws-sdk/client-organizations';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, type AwsSettings } from '../../src/adapters/aws/clients.js';
import { awsCall } from '../../src/adapters/aws/errors.js';
import { callerIdentity } from '../../src/adapters/aws/identity.js';
import type { AccountConfig } from '../../src/config/schema.js';
import { externalFailure } from '../helpers/errors.js';
import { BASIC_SCENARIO, TEST_KEY, startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sandbox: TestSandbox;
const saved = { ...process.env };

const SETTINGS: AwsSettings = { defaultRegion: 'us-east-1', connectTimeoutMs: 1000, requestTimeoutMs: 2000, maxAttempts: 2, roleSessionName: 'vigil-test' };
const PRODUCTION: AccountConfig = { id: '222222222222', name: 'production', roleArn: 'arn:aws:iam::222222222222:role/VigilAudit', externalId: 'vigil-external', regions: ['us-east-1'] };
/** The account the base credentials belong to: no role to assume. */
const MANAGEMENT: AccountConfig = { id: '111111111111', name: 'management', regions: ['us-east-1'] };
const RESTRICTED: AccountConfig = { ...PRODUCTION, roleArn: 'arn:aws:iam::222222222222:role/Restricted', externalId: undefined };

beforeAll(async () => {
  sandbox = await startTestSandbox(BASIC_SCENARIO);
  // The standard chain and endpoint override, exactly as a user would set them.
  process.env['AWS_ENDPOINT_URL'] = sandbox.info.awsEndpoint;
  process.env['AWS_ACCESS_KEY_ID'] = TEST_KEY.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] = TEST_KEY.secretAccessKey;
  delete process.env['AWS_PROFILE'];
});

afterEach(async () => {
  await sandbox.setFaults([]);
});

afterAll(async () => {
  process.env = saved;
  await sandbox.stop();
});


describe('AwsClients', () => {
  it('assumes the configured role and acts in that account', async () => {
    const clients = new AwsClients(SETTINGS);

    const who = await callerIdentity(clients, PRODUCTION);
    clients.destroy();

    expect(who).toEqual({ account: '222222222222', arn: 'arn:aws:sts::222222222222:assumed-role/VigilAudit/vigil-test' });
  });

  it('reuses one client per service, account and region', () => {
    const clients = new AwsClients(SETTINGS);

    const a = clients.client('rds', PRODUCTION, 'us-east-1');
    const b = clients.client('rds', PRODUCTION, 'us-east-1');
    const c = clients.client('rds', PRODUCTION, 'us-west-2');
    const iamEast = clients.client('iam', PRODUCTION, 'us-east-1');
    const iamWest = clients.client('iam', PRODUCTION, 'us-west-2');
    clients.destroy();

    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(iamEast).toBe(iamWest);
  });

  it("forgets an account's clients on release, keeps the other accounts' and the shared connections, and works on after it", async () => {
    const clients = new AwsClients(SETTINGS);
    const before = clients.client('rds', PRODUCTION, 'us-east-1');
    const management = clients.client('rds', MANAGEMENT, 'us-east-1');

    clients.release(PRODUCTION.id);
    const after = clients.client('rds', PRODUCTION, 'us-east-1');
    const managementAfter = clients.client('rds', MANAGEMENT, 'us-east-1');
    const caller = await callerIdentity(clients, PRODUCTION);
    clients.destroy();

    expect(after).not.toBe(before);
    expect(managementAfter).toBe(management);
    expect(caller.account).toBe(PRODUCTION.id);
  });

  it('types a denied call as access_denied', async () => {
    const clients = new AwsClients(SETTINGS);

    const error = await externalFailure(callerIdentity(clients, RESTRICTED));
    clients.destroy();

    expect(error.details).toMatchObject({ kind: 'access_denied', service: 'aws:sts', operation: 'GetCallerIdentity', code: 'AccessDenied', account: '222222222222' });
    expect(error.message).toBe('sts:GetCallerIdentity in 222222222222: access denied (AccessDenied)');
  });

  it('types throttling that outlasts the retries as throttled', async () => {
    await sandbox.setFaults([{ service: 'sts', operation: 'GetCallerIdentity', throttle: { ratePerSecond: 0.001, burst: 1 } }]);
    const clients = new AwsClients(SETTINGS);
    await callerIdentity(clients, MANAGEMENT);

    const error = await externalFailure(callerIdentity(clients, MANAGEMENT));
    clients.destroy();

    expect(error.details).toMatchObject({ kind: 'throttled', code: 'Throttling' });
  });

  it('types persistent 5xx answers as unavailable', async () => {
    await sandbox.setFaults([{ service: 'sts', operation: 'GetCallerIdentity', errorRate: 1, errorStatus: 503 }]);
    const clients = new AwsClients(SETTINGS);

    const error = await externalFailure(callerIdentity(clients, MANAGEMENT));
    clients.destroy();

    expect(error.details).toMatchObject({ kind: 'unavailable', code: 'ServiceUnavailable' });
  });

  it('gives up on a hanging endpoint after the request timeout, typed as timeout', async () => {
    await sandbox.setFaults([{ service: 'sts', operation: 'GetCallerIdentity', hangRate: 1 }]);
    const clients = new AwsClients({ ...SETTINGS, requestTimeoutMs: 300, maxAttempts: 1 });

    const error = await externalFailure(callerIdentity(clients, MANAGEMENT));
    clients.destroy();

    expect(error.details.kind).toBe('timeout');
  });

  it('types a missing resource as not_found', async () => {
    const clients = new AwsClients(SETTINGS);
    const organizations = clients.client('organizations', undefined);

    const error = await externalFailure(
      awsCall({ service: 'organizations', operation: 'DescribeAccount' }, () => organizations.send(new DescribeAccountCommand({ AccountId: '999999999999' }))),
    );
    clients.destroy();

    expect(error.details).toMatchObject({ kind: 'not_found', code: 'AccountNotFoundException' });
  });
});
