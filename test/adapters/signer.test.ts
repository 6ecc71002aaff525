import { HttpRequest } from '@smithy/core/transport';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { SessionSignatureV4 } from '../../src/adapters/aws/signer.js';

const at = new Date('2026-11-24T10:00:00Z');

function request(): HttpRequest {
  return new HttpRequest({ method: 'POST', protocol: 'https:', hostname: 'rds.us-east-1.amazonaws.com', path: '/', headers: { host: 'rds.us-east-1.amazonaws.com', 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=DescribeDBInstances&Version=2014-10-31' });
}

async function authorization(Signer: typeof SignatureV4, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region: string, service: string): Promise<string> {
  const signer = new Signer({ credentials, region, service, sha256: Sha256 });
  const signed = await signer.sign(request(), { signingDate: at });
  return signed.headers['authorization'] as string;
}

describe('SessionSignatureV4', () => {
  it('signs exactly as the SDK does, across more sessions, regions and services than the SDK keeps keys for', async () => {
    const sessions = Array.from({ length: 20 }, (_, i) => ({ accessKeyId: `ASIA${i}`, secretAccessKey: `secret-${i}`, sessionToken: `token-${i}` }));
    const places = ['us-east-1', 'us-west-2', 'eu-west-1'].flatMap((region) => ['rds', 'ec2'].map((service) => ({ region, service })));
    const ours: string[] = [];
    const sdk: string[] = [];
    // Twice over, interleaved: the second round is answered from each session's keys.
    for (let round = 0; round < 2; round++) {
      for (const credentials of sessions) {
        for (const { region, service } of places) {
          ours.push(await authorization(SessionSignatureV4, credentials, region, service));
          sdk.push(await authorization(SignatureV4, credentials, region, service));
        }
      }
    }
    expect(ours).toEqual(sdk);
    // Every session, region and service signs differently: no key is reused across them.
    expect(new Set(ours.slice(0, ours.length / 2)).size).toBe(sessions.length * places.length);
  });

  it('keys a session by its credentials, so a renewed session with another secret signs with its own key', async () => {
    const first = { accessKeyId: 'ASIA1', secretAccessKey: 'first-secret', sessionToken: 'one' };
    const renewed = { accessKeyId: 'ASIA1', secretAccessKey: 'renewed-secret', sessionToken: 'two' };
    const a = await authorization(SessionSignatureV4, first, 'us-east-1', 'rds');
    const b = await authorization(SessionSignatureV4, renewed, 'us-east-1', 'rds');
    expect(b).not.toBe(a);
    expect(b).toBe(await authorization(SignatureV4, renewed, 'us-east-1', 'rds'));
  });
});
