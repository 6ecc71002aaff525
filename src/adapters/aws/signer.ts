/**
 * SigV4 with the signing key kept per role session. The key (four HMACs over the secret, the day,
 * the region and the service) is the same for every call a session makes in one region and service
 * that day; the SDK keeps the last 50 keys for the whole process, and a scan of 50 accounts in four
 * regions and six services needs some 1,200, so every call derived its key again, and hashed the
 * secret once more to look it up (about 3 % of a large scan's CPU). Here each session's keys hang off
 * its credentials object, which every client of the account shares (clients.ts), and go with it.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';

type DeriveKey = (this: SignatureV4, credentials: AwsCredentialIdentity, region: string, shortDate: string, service?: string) => Promise<Uint8Array>;

const keysBySession = new WeakMap<AwsCredentialIdentity, Map<string, Promise<Uint8Array>>>();

/** SignatureV4 whose signing keys are derived once per session, day, region and service. */
export class SessionSignatureV4 extends SignatureV4 {}

// SignatureV4 declares the method private, so it is replaced on the prototype rather than overridden.
const derive = (SignatureV4.prototype as unknown as { getSigningKey: DeriveKey }).getSigningKey;
Object.defineProperty(SessionSignatureV4.prototype, 'getSigningKey', {
  value: function getSigningKey(this: SignatureV4, credentials: AwsCredentialIdentity, region: string, shortDate: string, service?: string): Promise<Uint8Array> {
    let keys = keysBySession.get(credentials);
    if (!keys) {
      keys = new Map<string, Promise<Uint8Array>>();
      keysBySession.set(credentials, keys);
    }
    const known = keys;
    const id = `${shortDate}|${region}|${service ?? (this as unknown as { service: string }).service}`;
    let key = keys.get(id);
    if (!key) {
      key = derive.call(this, credentials, region, shortDate, service);
      // A failed derivation is not kept: the next call tries again.
      key.catch(() => known.delete(id));
      keys.set(id, key);
    }
    return key;
  },
});
