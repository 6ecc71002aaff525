/**
 * S3 (restXml). Which operation a request is follows from the method, whether the path names a bucket
 * and a key, and the query's subresource flags (`?versioning`, `?list-type=2`, ...). The bucket comes
 * from the path (`/bucket/key`, what clients with forcePathStyle send) or from the Host header
 * (`bucket.s3.<anything>` or `bucket.localhost`, virtual-hosted style).
 */
import type { HttpInput, HttpOutput } from '../http-types.js';
import { bucketHandlers } from './s3-buckets.js';
import { objectHandlers } from './s3-objects.js';
import { errorOutput, S3Error } from './s3-xml.js';
import { AwsError } from './protocol.js';
import type { AwsCall, AwsServiceEmulator, RestHandler, RestRoute } from './service.js';

export { s3RegionScenario, seedS3 } from './s3-scenario.js';

type Methods = Partial<Record<'GET' | 'PUT' | 'DELETE' | 'POST' | 'HEAD', string>>;

/** Bucket subresources by query flag, checked in this order (the first flag present decides). */
const BUCKET_SUBRESOURCES: Array<[string, Methods]> = [
  ['versioning', { GET: 'GetBucketVersioning', PUT: 'PutBucketVersioning' }],
  ['lifecycle', { GET: 'GetBucketLifecycleConfiguration', PUT: 'PutBucketLifecycleConfiguration', DELETE: 'DeleteBucketLifecycle' }],
  ['replication', { GET: 'GetBucketReplication', PUT: 'PutBucketReplication', DELETE: 'DeleteBucketReplication' }],
  ['encryption', { GET: 'GetBucketEncryption', PUT: 'PutBucketEncryption', DELETE: 'DeleteBucketEncryption' }],
  ['publicAccessBlock', { GET: 'GetPublicAccessBlock', PUT: 'PutPublicAccessBlock', DELETE: 'DeletePublicAccessBlock' }],
  ['policyStatus', { GET: 'GetBucketPolicyStatus' }],
  ['policy', { GET: 'GetBucketPolicy', PUT: 'PutBucketPolicy', DELETE: 'DeleteBucketPolicy' }],
  ['tagging', { GET: 'GetBucketTagging', PUT: 'PutBucketTagging', DELETE: 'DeleteBucketTagging' }],
  ['location', { GET: 'GetBucketLocation' }],
  ['versions', { GET: 'ListObjectVersions' }],
  ['delete', { POST: 'DeleteObjects' }],
  ['acl', { GET: 'GetBucketAcl', PUT: 'PutBucketAcl' }],
  ['ownershipControls', { GET: 'GetBucketOwnershipControls', PUT: 'PutBucketOwnershipControls', DELETE: 'DeleteBucketOwnershipControls' }],
  ['uploads', { GET: 'ListMultipartUploads' }],
  ['logging', { GET: 'GetBucketLogging', PUT: 'PutBucketLogging' }],
  ['object-lock', { GET: 'GetObjectLockConfiguration', PUT: 'PutObjectLockConfiguration' }],
  ['notification', { GET: 'GetBucketNotificationConfiguration', PUT: 'PutBucketNotificationConfiguration' }],
  ['cors', { GET: 'GetBucketCors', PUT: 'PutBucketCors', DELETE: 'DeleteBucketCors' }],
  ['website', { GET: 'GetBucketWebsite', PUT: 'PutBucketWebsite', DELETE: 'DeleteBucketWebsite' }],
];

const OBJECT_SUBRESOURCES: Array<[string, Methods]> = [
  ['uploadId', { PUT: 'UploadPart', POST: 'CompleteMultipartUpload', DELETE: 'AbortMultipartUpload', GET: 'ListParts' }],
  ['uploads', { POST: 'CreateMultipartUpload' }],
  ['tagging', { GET: 'GetObjectTagging', PUT: 'PutObjectTagging', DELETE: 'DeleteObjectTagging' }],
  ['acl', { GET: 'GetObjectAcl', PUT: 'PutObjectAcl' }],
  ['attributes', { GET: 'GetObjectAttributes' }],
  ['restore', { POST: 'RestoreObject' }],
  ['retention', { GET: 'GetObjectRetention', PUT: 'PutObjectRetention' }],
  ['legal-hold', { GET: 'GetObjectLegalHold', PUT: 'PutObjectLegalHold' }],
];

/** Virtual-hosted style: `bucket.s3.us-east-1.amazonaws.com`, `bucket.s3.sandbox.test`, `bucket.localhost`. */
export function bucketFromHost(host: string): string | undefined {
  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  const match = /^(.+)\.s3[.-]/.exec(hostname) ?? /^(.+)\.localhost$/.exec(hostname);
  return match?.[1];
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function subresource(table: Array<[string, Methods]>, query: URLSearchParams, method: string): string | undefined | null {
  for (const [flag, methods] of table) {
    if (query.has(flag)) return methods[method as keyof Methods] ?? null;
  }
  return undefined;
}

function bucketOperation(method: string, query: URLSearchParams): string | undefined {
  const flagged = subresource(BUCKET_SUBRESOURCES, query, method);
  if (flagged !== undefined) return flagged ?? undefined;
  if (method === 'GET') return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
  return ({ PUT: 'CreateBucket', DELETE: 'DeleteBucket', HEAD: 'HeadBucket' } as Record<string, string>)[method];
}

function objectOperation(input: HttpInput): string | undefined {
  const flagged = subresource(OBJECT_SUBRESOURCES, input.query, input.method);
  if (flagged !== undefined) {
    if (flagged === 'UploadPart' && input.headers['x-amz-copy-source'] !== undefined) return 'UploadPartCopy';
    return flagged ?? undefined;
  }
  if (input.method === 'PUT') return input.headers['x-amz-copy-source'] !== undefined ? 'CopyObject' : 'PutObject';
  return ({ GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' } as Record<string, string>)[input.method];
}

export function route(input: HttpInput): RestRoute | undefined {
  const hosted = bucketFromHost(input.host);
  const path = input.path.startsWith('/') ? input.path.slice(1) : input.path;
  let bucket: string | undefined;
  let rawKey: string;
  if (hosted !== undefined) {
    bucket = hosted;
    rawKey = path;
  } else {
    const slash = path.indexOf('/');
    bucket = decode(slash < 0 ? path : path.slice(0, slash));
    rawKey = slash < 0 ? '' : path.slice(slash + 1);
  }
  if (bucket === undefined) return undefined;
  if (bucket === '') return input.method === 'GET' ? { operation: 'ListBuckets', pathParams: {} } : undefined;
  if (rawKey === '') {
    const operation = bucketOperation(input.method, input.query);
    return operation ? { operation, pathParams: { Bucket: bucket } } : undefined;
  }
  const key = decode(rawKey);
  const operation = objectOperation(input);
  return key !== undefined && operation ? { operation, pathParams: { Bucket: bucket, Key: key } } : undefined;
}

/** IAM actions whose names differ from the operation's (S3 has many). Others are `s3:<Operation>`. */
const IAM_ACTIONS: Record<string, string> = {
  ListBuckets: 's3:ListAllMyBuckets',
  HeadBucket: 's3:ListBucket',
  ListObjects: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  ListObjectVersions: 's3:ListBucketVersions',
  HeadObject: 's3:GetObject',
  CopyObject: 's3:PutObject',
  DeleteObjects: 's3:DeleteObject',
  GetBucketLifecycleConfiguration: 's3:GetLifecycleConfiguration',
  PutBucketLifecycleConfiguration: 's3:PutLifecycleConfiguration',
  DeleteBucketLifecycle: 's3:PutLifecycleConfiguration',
  GetBucketReplication: 's3:GetReplicationConfiguration',
  PutBucketReplication: 's3:PutReplicationConfiguration',
  DeleteBucketReplication: 's3:PutReplicationConfiguration',
  GetBucketEncryption: 's3:GetEncryptionConfiguration',
  PutBucketEncryption: 's3:PutEncryptionConfiguration',
  DeleteBucketEncryption: 's3:PutEncryptionConfiguration',
  GetPublicAccessBlock: 's3:GetBucketPublicAccessBlock',
  PutPublicAccessBlock: 's3:PutBucketPublicAccessBlock',
  DeletePublicAccessBlock: 's3:PutBucketPublicAccessBlock',
  DeleteBucketTagging: 's3:PutBucketTagging',
  DeleteBucketOwnershipControls: 's3:PutBucketOwnershipControls',
  GetBucketNotificationConfiguration: 's3:GetBucketNotification',
  PutBucketNotificationConfiguration: 's3:PutBucketNotification',
  GetBucketCors: 's3:GetBucketCORS',
  PutBucketCors: 's3:PutBucketCORS',
  DeleteBucketCors: 's3:PutBucketCORS',
  DeleteBucketWebsite: 's3:DeleteBucketWebsite',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  UploadPartCopy: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
  ListParts: 's3:ListMultipartUploadParts',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
  GetObjectAttributes: 's3:GetObjectAttributes',
  GetObjectLockConfiguration: 's3:GetBucketObjectLockConfiguration',
  PutObjectLockConfiguration: 's3:PutBucketObjectLockConfiguration',
};

/** Operations whose IAM action is the `...Version` one when the request names a version id. */
const VERSIONED_ACTIONS: Record<string, string> = {
  GetObject: 's3:GetObjectVersion',
  HeadObject: 's3:GetObjectVersion',
  DeleteObject: 's3:DeleteObjectVersion',
  GetObjectTagging: 's3:GetObjectVersionTagging',
  PutObjectTagging: 's3:PutObjectVersionTagging',
  DeleteObjectTagging: 's3:DeleteObjectVersionTagging',
};

export function iamAction(operation: string, http?: HttpInput): string {
  const versioned = http?.query.has('versionId') ? VERSIONED_ACTIONS[operation] : undefined;
  return versioned ?? IAM_ACTIONS[operation] ?? `s3:${operation}`;
}

/** S3 errors carry headers and extra elements that the framework's generic error answer has no room for. */
function withS3Errors(handler: (call: AwsCall) => HttpOutput): RestHandler {
  return (call) => {
    try {
      return handler(call);
    } catch (err) {
      if (err instanceof S3Error) return errorOutput(call, err);
      throw err;
    }
  };
}

const notImplemented = (): HttpOutput => {
  throw new AwsError('NotImplemented', 'A header you provided implies functionality that is not implemented', 501);
};

const recognisedOnly = [...BUCKET_SUBRESOURCES, ...OBJECT_SUBRESOURCES].flatMap(([, methods]) => Object.values(methods));

export const s3: AwsServiceEmulator = {
  signingName: 's3',
  protocol: 'rest-xml',
  throttlingError: { code: 'SlowDown', status: 503 },
  accessDeniedError: { code: 'AccessDenied', status: 403 },
  route,
  iamAction,
  rest: Object.fromEntries(
    Object.entries({ ...Object.fromEntries(recognisedOnly.map((op) => [op, notImplemented])), ...bucketHandlers, ...objectHandlers }).map(([operation, handler]) => [
      operation,
      withS3Errors(handler),
    ]),
  ),
};
