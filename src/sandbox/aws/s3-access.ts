/**
 * Finding the bucket a request names, in S3's order: does it exist (S3 tells anyone), is the request
 * for the bucket's region (else a 301 PermanentRedirect with `x-amz-bucket-region`, which the SDK's
 * `followRegionRedirects` acts on), may this caller act on it (its own account, or a bucket policy
 * grant), and is the bucket owned by whom the caller expects.
 */
import { callerOf, identityDenies, policyDecision } from './s3-policy.js';
import { s3State, type Bucket } from './s3-store.js';
import { header, S3Error } from './s3-xml.js';
import type { AwsCall } from './service.js';

export interface AccessOptions {
  /** The IAM action checked against the bucket policy and the caller's identity policies; null when the caller checks per key. */
  action: string | null;
  /** For object actions: the key, which makes the resource `arn:aws:s3:::bucket/key`. */
  key?: string;
  /** GetBucketLocation and copy sources answer whatever region the request was signed for. */
  anyRegion?: boolean;
}

export function noSuchBucket(name: string): S3Error {
  return new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { fields: { BucketName: name } });
}

export function accessDenied(call: AwsCall, action: string, resource: string, reason: string): S3Error {
  return new S3Error('AccessDenied', `User: ${call.credential.principalArn} is not authorized to perform: ${action} on resource: "${resource}" because ${reason}`, 403);
}

export function permanentRedirect(bucket: Bucket): S3Error {
  return new S3Error(
    'PermanentRedirect',
    'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
    301,
    { headers: { 'x-amz-bucket-region': bucket.region }, fields: { Endpoint: `${bucket.name}.s3.${bucket.region}.amazonaws.com`, Bucket: bucket.name } },
  );
}

export function bucketFor(call: AwsCall, name: string, options: AccessOptions): Bucket {
  const bucket = s3State(call.world).buckets.get(name);
  if (!bucket) throw noSuchBucket(name);
  if (!options.anyRegion && bucket.region !== call.region) throw permanentRedirect(bucket);
  if (options.action !== null) authorize(call, bucket, options.action, options.key);
  const expectedOwner = header(call, 'x-amz-expected-bucket-owner');
  if (expectedOwner !== undefined && expectedOwner !== bucket.accountId) throw new S3Error('AccessDenied', 'Access Denied', 403);
  return bucket;
}

/**
 * The framework already checked the operation's own action against the caller's identity; some
 * requests need another one too (GetObject with a versionId needs s3:GetObjectVersion).
 */
export function authorize(call: AwsCall, bucket: Bucket, action: string, key?: string): void {
  const resource = key === undefined ? `arn:aws:s3:::${bucket.name}` : `arn:aws:s3:::${bucket.name}/${key}`;
  if (identityDenies(call.credential, action)) throw accessDenied(call, action, resource, 'no identity-based policy allows the action');
  const decision = policyDecision(bucket, callerOf(call.credential), action, resource);
  if (decision === 'deny') throw accessDenied(call, action, resource, 'of an explicit deny in a resource-based policy');
  if (bucket.accountId !== call.account.id && decision !== 'allow') throw accessDenied(call, action, resource, 'no resource-based policy allows the action');
}
