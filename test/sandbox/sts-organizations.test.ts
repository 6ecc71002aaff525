import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ListAccountsCommand, OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASIC_SCENARIO, startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sandbox: TestSandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox(BASIC_SCENARIO);
});

afterAll(async () => {
  await sandbox.stop();
});

describe('STS', () => {
  it('identifies the caller by access key', async () => {
    const client = new STSClient(sandbox.aws());

    const identity = await client.send(new GetCallerIdentityCommand({}));

    expect(identity).toMatchObject({ Account: '111111111111', Arn: 'arn:aws:iam::111111111111:user/vigil' });
  });

  it('assumes a role with the right external id, and the session acts in the target account', async () => {
    const client = new STSClient(sandbox.aws());

    const assumed = await client.send(
      new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/VigilAudit', RoleSessionName: 'vigil-test', ExternalId: 'vigil-external' }),
    );
    const session = new STSClient(
      sandbox.aws('us-east-1', {
        accessKeyId: assumed.Credentials?.AccessKeyId as string,
        secretAccessKey: assumed.Credentials?.SecretAccessKey as string,
        sessionToken: assumed.Credentials?.SessionToken as string,
      }),
    );
    const identity = await session.send(new GetCallerIdentityCommand({}));

    expect(assumed.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(assumed.Credentials?.Expiration).toBeInstanceOf(Date);
    expect(identity).toMatchObject({ Account: '222222222222', Arn: 'arn:aws:sts::222222222222:assumed-role/VigilAudit/vigil-test' });
  });

  it.each([
    ['a wrong external id', 'arn:aws:iam::222222222222:role/VigilAudit', 'wrong'],
    ['a role that does not exist', 'arn:aws:iam::222222222222:role/Nope', undefined],
    ['a suspended account', 'arn:aws:iam::333333333333:role/VigilAudit', undefined],
  ])('refuses AssumeRole with %s as AccessDenied', async (_case, roleArn, externalId) => {
    const client = new STSClient(sandbox.aws());

    const error = await client.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'vigil', ExternalId: externalId })).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  });

  it('answers an unknown access key as AWS does', async () => {
    const client = new STSClient(sandbox.aws('us-east-1', { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' }));

    const error = await client.send(new GetCallerIdentityCommand({})).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'InvalidClientTokenId' });
  });

  it('answers an action denied to the role session with AccessDenied', async () => {
    const client = new STSClient(sandbox.aws());
    const assumed = await client.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/Restricted', RoleSessionName: 'restricted' }));
    const session = new STSClient(
      sandbox.aws('us-east-1', {
        accessKeyId: assumed.Credentials?.AccessKeyId as string,
        secretAccessKey: assumed.Credentials?.SecretAccessKey as string,
        sessionToken: assumed.Credentials?.SessionToken as string,
      }),
    );

    const error = await session.send(new GetCallerIdentityCommand({})).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'AccessDenied', message: expect.stringContaining('sts:GetCallerIdentity') });
  });

  it('retries a throttled call and succeeds once the bucket refills', async () => {
    await sandbox.setFaults([{ service: 'sts', operation: 'GetCallerIdentity', throttle: { ratePerSecond: 20, burst: 1 } }]);
    const client = new STSClient(sandbox.aws());

    const results = await Promise.all([1, 2, 3].map(() => client.send(new GetCallerIdentityCommand({}))));
    const summary = await sandbox.inspect<{ counts: Array<{ service: string; operation: string; throttled: number }> }>('calls/summary');
    await sandbox.setFaults([]);

    expect(results.map((r) => r.Account)).toEqual(['111111111111', '111111111111', '111111111111']);
    expect(summary.counts.find((c) => c.operation === 'GetCallerIdentity')?.throttled).toBeGreaterThan(0);
  });

  it('answers an unknown action with InvalidAction and records it', async () => {
    const res = await fetch(sandbox.info.awsEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'AWS4-HMAC-SHA256 Credential=AKIATESTMANAGEMENT01/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: 'Action=MakeCoffee&Version=2011-06-15',
    });
    const calls = await sandbox.inspect<Array<{ operation: string; errorCode?: string }>>('calls?service=aws:sts&operation=MakeCoffee');

    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>InvalidAction</Code>');
    expect(calls).toEqual([expect.objectContaining({ operation: 'MakeCoffee', errorCode: 'InvalidAction' })]);
  });
});

describe('Organizations', () => {
  it('lists every account across pages from the management account', async () => {
    const client = new OrganizationsClient(sandbox.aws());

    const ids: string[] = [];
    for await (const page of paginateListAccounts({ client, pageSize: 2 }, {})) ids.push(...(page.Accounts ?? []).map((a) => a.Id as string));
    const first = await client.send(new ListAccountsCommand({ MaxResults: 2 }));

    expect(ids).toEqual(['111111111111', '222222222222', '333333333333']);
    expect(first.NextToken).toBeDefined();
    expect(first.Accounts?.[0]?.JoinedTimestamp).toBeInstanceOf(Date);
  });

  it('refuses ListAccounts from a member account', async () => {
    const sts = new STSClient(sandbox.aws());
    const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/VigilAudit', RoleSessionName: 'member', ExternalId: 'vigil-external' }));
    const client = new OrganizationsClient(
      sandbox.aws('us-east-1', {
        accessKeyId: assumed.Credentials?.AccessKeyId as string,
        secretAccessKey: assumed.Credentials?.SecretAccessKey as string,
        sessionToken: assumed.Credentials?.SessionToken as string,
      }),
    );

    const error = await client.send(new ListAccountsCommand({})).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'AccessDeniedException' });
  });
});
