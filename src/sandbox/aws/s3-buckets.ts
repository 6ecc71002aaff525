/**
 * Bucket operations: the global namespace (ListBuckets, CreateBucket with its location constraint
 * rules, DeleteBucket, HeadBucket, GetBucketLocation) and each configuration's Get/Put/Delete, with
 * the "not found" error S3 gives for a configuration that was never set.
 */
import type { HttpOutput } from '../http-types.js';
import { bucketFor } from './s3-access.js';
import { parseLifecycle } from './s3-lifecycle.js';
import { isPublicPolicy, policyStatements } from './s3-policy.js';
import { parseReplication } from './s3-replication.js';
import { BUCKET_NAME, kmsKeyArn } from './s3-scenario.js';
import { canonicalUserId, s3State, wholeSeconds, type Bucket, type PublicAccessBlock, type ServerSideEncryption } from './s3-store.js';
import { asArray, asObject, emptyResponse, malformedXml, optionalBool, optionalText, parseTags, requestXml, S3Error, xmlResponse } from './s3-xml.js';
import type { AwsCall } from './service.js';

type Handler = (call: AwsCall) => HttpOutput;

const MAX_BUCKETS_PAGE = 10_000;

function name(call: AwsCall): string {
  return call.pathParams['Bucket'] as string;
}

function notFound(code: string, message: string, bucket: Bucket): S3Error {
  return new S3Error(code, message, 404, { fields: { BucketName: bucket.name } });
}

function listBuckets(call: AwsCall): HttpOutput {
  const query = call.http.query;
  const maxText = query.get('max-buckets');
  const max = maxText === null ? undefined : Number(maxText);
  if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > MAX_BUCKETS_PAGE)) {
    throw new S3Error('InvalidArgument', 'Argument max-buckets must be an integer between 1 and 10000', 400);
  }
  const prefix = query.get('prefix') ?? '';
  const region = query.get('bucket-region');
  const token = query.get('continuation-token');
  const after = token === null ? undefined : Buffer.from(token, 'base64url').toString('utf8');
  const owned = [...s3State(call.world).buckets.values()]
    .filter((b) => b.accountId === call.account.id && b.name.startsWith(prefix) && (region === null || b.region === region))
    .filter((b) => after === undefined || b.name > after)
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const page = max === undefined ? owned : owned.slice(0, max);
  const more = page.length < owned.length;
  return xmlResponse(call, 'ListAllMyBucketsResult', {
    Owner: { ID: canonicalUserId(call.account.id) },
    Buckets: page.length > 0 ? { Bucket: page.map((b) => ({ Name: b.name, CreationDate: b.createdAt, BucketRegion: b.region, BucketArn: `arn:aws:s3:::${b.name}` })) } : '',
    ContinuationToken: more ? Buffer.from((page.at(-1) as Bucket).name).toString('base64url') : undefined,
    Prefix: query.get('prefix') ?? undefined,
  });
}

function createBucket(call: AwsCall): HttpOutput {
  const bucketName = name(call);
  if (!BUCKET_NAME.test(bucketName)) throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, { fields: { BucketName: bucketName } });
  const configuration = call.http.body.length > 0 ? requestXml(call, 'CreateBucketConfiguration') : {};
  const constraint = optionalText(configuration['LocationConstraint']) || undefined;
  if (constraint === 'us-east-1') throw new S3Error('InvalidLocationConstraint', 'The specified location-constraint is not valid', 400, { fields: { LocationConstraint: constraint } });
  const region = constraint ?? 'us-east-1';
  if (region !== call.region) {
    const which = constraint === undefined ? 'unspecified' : constraint;
    throw new S3Error('IllegalLocationConstraintException', `The ${which} location constraint is incompatible for the region specific endpoint this request was sent to.`, 400);
  }
  const buckets = s3State(call.world).buckets;
  const existing = buckets.get(bucketName);
  if (existing && existing.accountId !== call.account.id) {
    throw new S3Error('BucketAlreadyExists', 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.', 409, { fields: { BucketName: bucketName } });
  }
  // For legacy compatibility S3 answers 200 to re-creating your own bucket in us-east-1, 409 elsewhere.
  if (existing && (existing.region !== 'us-east-1' || call.region !== 'us-east-1')) {
    throw new S3Error('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409, { fields: { BucketName: bucketName } });
  }
  if (!existing) {
    buckets.set(bucketName, {
      name: bucketName,
      accountId: call.account.id,
      region,
      createdAt: wholeSeconds(call.world.now()),
      // What every new bucket gets since 2023: SSE-S3, and all of Block Public Access.
      encryption: { algorithm: 'AES256' },
      publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
      tags: configuration['Tags'] !== undefined ? parseTags(asObject(configuration['Tags'])['Tag']) : undefined,
      objects: new Map(),
      keys: [],
    });
  }
  const location = region === 'us-east-1' ? `/${bucketName}` : `http://${bucketName}.s3.amazonaws.com/`;
  return emptyResponse(call, 200, { location, 'x-amz-bucket-arn': `arn:aws:s3:::${bucketName}` });
}

function deleteBucket(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, name(call), { action: 's3:DeleteBucket' });
  if (bucket.keys.length > 0) throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, { fields: { BucketName: bucket.name } });
  s3State(call.world).buckets.delete(bucket.name);
  return emptyResponse(call, 204);
}

function headBucket(call: AwsCall): HttpOutput {
  // HEAD answers carry no body: on a redirect, the region header is what tells the SDK where to go.
  const found = bucketFor(call, name(call), { action: 's3:ListBucket' });
  return emptyResponse(call, 200, { 'x-amz-bucket-region': found.region, 'x-amz-access-point-alias': 'false', 'x-amz-bucket-arn': `arn:aws:s3:::${found.name}` });
}

function getBucketLocation(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, name(call), { action: 's3:GetBucketLocation', anyRegion: true });
  // us-east-1 is the empty location constraint, for historical reasons.
  return xmlResponse(call, 'LocationConstraint', bucket.region === 'us-east-1' ? '' : bucket.region);
}

function getBucketVersioning(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, name(call), { action: 's3:GetBucketVersioning' });
  return xmlResponse(call, 'VersioningConfiguration', { Status: bucket.versioning, MfaDelete: bucket.mfaDelete });
}

function putBucketVersioning(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, name(call), { action: 's3:PutBucketVersioning' });
  const configuration = requestXml(call, 'VersioningConfiguration');
  const status = optionalText(configuration['Status']);
  const mfaDelete = optionalText(configuration['MfaDelete']);
  if (status !== undefined && status !== 'Enabled' && status !== 'Suspended') throw malformedXml();
  if (mfaDelete !== undefined && mfaDelete !== 'Enabled' && mfaDelete !== 'Disabled') throw malformedXml();
  if (mfaDelete !== undefined && mfaDelete !== (bucket.mfaDelete ?? 'Disabled')) {
    // Only the root user, presenting its MFA device, may change MFA delete.
    if (call.http.headers['x-amz-mfa'] === undefined || call.credential.principalType !== 'root') {
      throw new S3Error('AccessDenied', 'Mfa Authentication must be used for this request', 403);
    }
  }
  if (status !== undefined) bucket.versioning = status;
  if (mfaDelete !== undefined) bucket.mfaDelete = mfaDelete;
  return emptyResponse(call);
}

const TRANSITION_SIZE = { 'x-amz-transition-default-minimum-object-size': 'all_storage_classes_128K' };

function getLifecycle(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, name(call), { action: 's3:GetLifecycleConfiguration' });
  if (!bucket.lifecycle) throw notFound('NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', bucket);
  return xmlResponse(call, 'LifecycleConfiguration', { Rule: bucket.lifecycle }, TRANSITION_SIZE);
}

function putLifecycle(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, name(call), { action: 's3:PutLifecycleConfiguration' });
  bucket.lifecycle = parseLifecycle(requestXml(call, 'LifecycleConfiguration'));
  return emptyResponse(call, 200, TRANSITION_SIZE);
}

function getReplication(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, name(call), { action: 's3:GetReplicationConfiguration' });
  if (!bucket.replication) throw notFound('ReplicationConfigurationNotFoundError', 'The replication configuration was not found', bucket);
  return xmlResponse(call, 'ReplicationConfiguration', bucket.replication);
}

function putReplication(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, name(call), { action: 's3:PutReplicationConfiguration' });
  bucket.replication = parseReplication(call.world, bucket, requestXml(call, 'ReplicationConfiguration'));
  return emptyResponse(call);
}

function getEncryption(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, name(call), { action: 's3:GetEncryptionConfiguration' });
  const sse = bucket.encryption;
  if (!sse) throw notFound('ServerSideEncryptionConfigurationNotFoundError', 'The server side encryption configuration was not found', bucket);
  return xmlResponse(call, 'ServerSideEncryptionConfiguration', {
    Rule: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: sse.algorithm, KMSMasterKeyID: sse.kmsKeyId }, BucketKeyEnabled: sse.bucketKeyEnabled ?? false },
  });
}

function putEncryption(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, name(call), { action: 's3:PutEncryptionConfiguration' });
  const rules = asArray(requestXml(call, 'ServerSideEncryptionConfiguration')['Rule']).map((r) => asObject(r));
  if (rules.length !== 1) throw malformedXml();
  const rule = rules[0] as Record<string, unknown>;
  const byDefault = asObject(rule['ApplyServerSideEncryptionByDefault']);
  const algorithm = optionalText(byDefault['SSEAlgorithm']);
  if (algorithm !== 'AES256' && algorithm !== 'aws:kms' && algorithm !== 'aws:kms:dsse') throw malformedXml();
  const keyId = optionalText(byDefault['KMSMasterKeyID']);
  if (keyId !== undefined && algorithm === 'AES256') {
    throw new S3Error('InvalidArgument', 'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse', 400);
  }
  const sse: ServerSideEncryption = { algorithm, bucketKeyEnabled: optionalBool(rule['BucketKeyEnabled']) ?? false };
  if (keyId !== undefined) sse.kmsKeyId = keyId.startsWith('arn:') ? keyId : kmsKeyArn(bucket.accountId, bucket.region, keyId);
  bucket.encryption = sse;
  return emptyResponse(call);
}

function getPublicAccessBlock(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, name(call), { action: 's3:GetBucketPublicAccessBlock' });
  if (!bucket.publicAccessBlock) throw notFound('NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found', bucket);
  return xmlResponse(call, 'PublicAccessBlockConfiguration', { ...bucket.publicAccessBlock });
}

function putPublicAccessBlock(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, name(call), { action: 's3:PutBucketPublicAccessBlock' });
  const configuration = requestXml(call, 'PublicAccessBlockConfiguration');
  const setting = (field: keyof PublicAccessBlock) => optionalBool(configuration[field]) ?? false;
  bucket.publicAccessBlock = {
    BlockPublicAcls: setting('BlockPublicAcls'),
    IgnorePublicAcls: setting('IgnorePublicAcls'),
    BlockPublicPolicy: setting('BlockPublicPolicy'),
    RestrictPublicBuckets: setting('RestrictPublicBuckets'),
  };
  return emptyResponse(call);
}

function getPolicyStatus(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, name(call), { action: 's3:GetBucketPolicyStatus' });
  if (bucket.policy === undefined) throw notFound('NoSuchBucketPolicy', 'The bucket policy does not exist', bucket);
  return xmlResponse(call, 'PolicyStatus', { IsPublic: isPublicPolicy(bucket.policy) });
}

function getPolicy(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, name(call), { action: 's3:GetBucketPolicy' });
  if (bucket.policy === undefined) throw notFound('NoSuchBucketPolicy', 'The bucket policy does not exist', bucket);
  return { ...emptyResponse(call, 200, { 'content-type': 'application/json' }), body: bucket.policy };
}

function putPolicy(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, name(call), { action: 's3:PutBucketPolicy' });
  const text = call.http.body.toString('utf8');
  policyStatements(text, bucket.name);
  if (bucket.publicAccessBlock?.BlockPublicPolicy && isPublicPolicy(text)) {
    throw new S3Error(
      'AccessDenied',
      `User: ${call.credential.principalArn} is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::${bucket.name}" because public policies are blocked by the BlockPublicPolicy block public access setting.`,
      403,
    );
  }
  bucket.policy = text;
  return emptyResponse(call, 204);
}

function getTagging(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, name(call), { action: 's3:GetBucketTagging' });
  if (!bucket.tags || bucket.tags.length === 0) throw notFound('NoSuchTagSet', 'The TagSet does not exist', bucket);
  return xmlResponse(call, 'Tagging', { TagSet: { Tag: bucket.tags } });
}

/** A TagSet as S3 accepts it: at most `max` tags, unique keys, none in the reserved `aws:` namespace. */
export function validTagSet(tagging: Record<string, unknown>, max: number): Array<{ Key: string; Value: string }> {
  const tags = parseTags(asObject(tagging['TagSet'])['Tag']);
  const invalidTag = (message: string) => new S3Error('InvalidTag', message, 400);
  if (tags.length > max) throw invalidTag(`Object tags cannot be greater than ${max}`);
  const keys = new Set<string>();
  for (const tag of tags) {
    if (keys.has(tag.Key)) throw invalidTag('Cannot provide multiple Tags with the same key');
    if (tag.Key.toLowerCase().startsWith('aws:')) throw invalidTag('System tags cannot be added/updated by requester');
    if (tag.Key.length === 0 || tag.Key.length > 128 || tag.Value.length > 256) throw invalidTag('The TagKey you have provided is invalid');
    keys.add(tag.Key);
  }
  return tags;
}

function putTagging(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, name(call), { action: 's3:PutBucketTagging' });
  bucket.tags = validTagSet(requestXml(call, 'Tagging'), 50);
  return emptyResponse(call, 204);
}

function getAcl(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, name(call), { action: 's3:GetBucketAcl' });
  const owner = { ID: canonicalUserId(bucket.accountId) };
  // Buckets have BucketOwnerEnforced object ownership: ACLs are off and grant the owner alone.
  const grant = { Grantee: { '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', '@_xsi:type': 'CanonicalUser', ...owner }, Permission: 'FULL_CONTROL' };
  return xmlResponse(call, 'AccessControlPolicy', { Owner: owner, AccessControlList: { Grant: [grant] } });
}

function getOwnershipControls(call: AwsCall): HttpOutput {
  bucketFor(call, name(call), { action: 's3:GetBucketOwnershipControls' });
  return xmlResponse(call, 'OwnershipControls', { Rule: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
}

/** A Delete* of a configuration: 204 whether or not there was one. */
function clear(action: string, reset: (bucket: Bucket) => void): Handler {
  return (call) => {
    reset(bucketFor(call, name(call), { action }));
    return emptyResponse(call, 204);
  };
}

export const bucketHandlers: Record<string, Handler> = {
  ListBuckets: listBuckets,
  CreateBucket: createBucket,
  DeleteBucket: deleteBucket,
  HeadBucket: headBucket,
  GetBucketLocation: getBucketLocation,
  GetBucketVersioning: getBucketVersioning,
  PutBucketVersioning: putBucketVersioning,
  GetBucketLifecycleConfiguration: getLifecycle,
  PutBucketLifecycleConfiguration: putLifecycle,
  DeleteBucketLifecycle: clear('s3:PutLifecycleConfiguration', (b) => (b.lifecycle = undefined)),
  GetBucketReplication: getReplication,
  PutBucketReplication: putReplication,
  DeleteBucketReplication: clear('s3:PutReplicationConfiguration', (b) => (b.replication = undefined)),
  GetBucketEncryption: getEncryption,
  PutBucketEncryption: putEncryption,
  // Since 2023 a bucket without a configuration still encrypts with SSE-S3, and says so.
  DeleteBucketEncryption: clear('s3:PutEncryptionConfiguration', (b) => (b.encryption = { algorithm: 'AES256' })),
  GetPublicAccessBlock: getPublicAccessBlock,
  PutPublicAccessBlock: putPublicAccessBlock,
  DeletePublicAccessBlock: clear('s3:PutBucketPublicAccessBlock', (b) => (b.publicAccessBlock = undefined)),
  GetBucketPolicyStatus: getPolicyStatus,
  GetBucketPolicy: getPolicy,
  PutBucketPolicy: putPolicy,
  DeleteBucketPolicy: clear('s3:DeleteBucketPolicy', (b) => (b.policy = undefined)),
  GetBucketTagging: getTagging,
  PutBucketTagging: putTagging,
  DeleteBucketTagging: clear('s3:PutBucketTagging', (b) => (b.tags = undefined)),
  GetBucketAcl: getAcl,
  GetBucketOwnershipControls: getOwnershipControls,
};
