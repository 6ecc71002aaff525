/**
 * Object operations: writes (PutObject, CopyObject) that follow the bucket's versioning, integrity
 * (MD5 ETag, flexible checksums checked on upload and returned with ChecksumMode ENABLED), reads by
 * version, deletes that leave delete markers, and the three listings.
 */
import type { HttpOutput } from '../http-types.js';
import { bucketFor, authorize } from './s3-access.js';
import {
  CHECKSUM_ALGORITHMS,
  checksumHeader,
  computeChecksum,
  decodeAwsChunked,
  DEFAULT_CHECKSUM_ALGORITHM,
  isChecksumAlgorithm,
  md5Hex,
  type ChecksumAlgorithm,
} from './s3-checksums.js';
import { validTagSet } from './s3-buckets.js';
import { expireNoncurrent } from './s3-lifecycle.js';
import { listObjectsV1, listObjectsV2, listObjectVersions } from './s3-list.js';
import { replicate } from './s3-replication.js';
import { defaultObjectEncryption } from './s3-scenario.js';
import {
  addVersion,
  checksumOf,
  contentBytes,
  etagOf,
  removeKey,
  removeVersion,
  uploadedContent,
  wholeSeconds,
  type Bucket,
  type ObjectVersion,
  type ServerSideEncryption,
} from './s3-store.js';
import { asArray, asObject, emptyResponse, header, malformedXml, optionalText, requestXml, S3Error, xmlResponse } from './s3-xml.js';
import type { AwsCall } from './service.js';

const STORAGE_CLASSES = new Set([
  'STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'DEEP_ARCHIVE', 'OUTPOSTS', 'GLACIER_IR', 'SNOW', 'EXPRESS_ONEZONE',
]);

function bucketName(call: AwsCall): string {
  return call.pathParams['Bucket'] as string;
}

function objectKey(call: AwsCall): string {
  return call.pathParams['Key'] as string;
}

function versionIdParam(call: AwsCall): string | undefined {
  const versionId = call.http.query.get('versionId');
  if (versionId === null) return undefined;
  if (versionId === '') throw new S3Error('InvalidArgument', 'Version id cannot be the empty string', 400, { fields: { ArgumentName: 'versionId', ArgumentValue: '' } });
  return versionId;
}

function noSuchKey(key: string, headers: Record<string, string> = {}): S3Error {
  return new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { headers, fields: { Key: key } });
}

/** The version a read names: the current one, or a given version id. Delete markers answer as S3's do. */
function readableVersion(call: AwsCall, bucket: Bucket, key: string, versionId: string | undefined, copySource = false): ObjectVersion {
  expireNoncurrent(bucket, key, call.world.now().getTime());
  const history = bucket.objects.get(key) ?? [];
  if (versionId === undefined) {
    const current = history[0];
    if (!current) throw noSuchKey(key);
    if (current.deleteMarker) throw noSuchKey(key, { 'x-amz-delete-marker': 'true', 'x-amz-version-id': current.versionId });
    return current;
  }
  const version = history.find((v) => v.versionId === versionId);
  if (!version) throw new S3Error('NoSuchVersion', 'The specified version does not exist.', 404, { fields: { Key: key, VersionId: versionId } });
  if (version.deleteMarker && copySource) {
    throw new S3Error('InvalidRequest', 'The source of a copy request may not specifically refer to a delete marker by version id.', 400);
  }
  if (version.deleteMarker) {
    throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, {
      headers: { 'x-amz-delete-marker': 'true', 'x-amz-version-id': version.versionId, 'last-modified': version.lastModified.toUTCString() },
      fields: { Method: call.http.method, ResourceType: 'DeleteMarker' },
    });
  }
  return version;
}

function encryptionHeaders(sse: ServerSideEncryption | undefined): Record<string, string> {
  if (!sse) return {};
  return {
    'x-amz-server-side-encryption': sse.algorithm,
    ...(sse.kmsKeyId !== undefined ? { 'x-amz-server-side-encryption-aws-kms-key-id': sse.kmsKeyId } : {}),
    ...(sse.bucketKeyEnabled ? { 'x-amz-server-side-encryption-bucket-key-enabled': 'true' } : {}),
  };
}

/** The version id header: S3 sends it once a bucket has had versioning, and for any non-null version. */
function versionHeader(bucket: Bucket, version: ObjectVersion): Record<string, string> {
  return bucket.versioning !== undefined || version.versionId !== 'null' ? { 'x-amz-version-id': version.versionId } : {};
}

function checksumHeaders(version: ObjectVersion): Record<string, string> {
  if (!version.content || !version.checksumAlgorithm) return {};
  return { [checksumHeader(version.checksumAlgorithm)]: checksumOf(version.content, version.checksumAlgorithm), 'x-amz-checksum-type': 'FULL_OBJECT' };
}

function objectHeaders(call: AwsCall, bucket: Bucket, version: ObjectVersion): Record<string, string> {
  const content = version.content;
  return {
    'last-modified': version.lastModified.toUTCString(),
    etag: content ? etagOf(content) : '',
    'content-type': version.contentType,
    'accept-ranges': 'bytes',
    ...versionHeader(bucket, version),
    ...Object.fromEntries(Object.entries(version.metadata).map(([k, v]) => [`x-amz-meta-${k}`, v])),
    ...encryptionHeaders(version.sse),
    ...(version.storageClass !== 'STANDARD' ? { 'x-amz-storage-class': version.storageClass } : {}),
    ...(version.replicationStatus ? { 'x-amz-replication-status': version.replicationStatus } : {}),
    ...(Object.keys(version.tags).length > 0 ? { 'x-amz-tagging-count': String(Object.keys(version.tags).length) } : {}),
    ...(header(call, 'x-amz-checksum-mode') === 'ENABLED' ? checksumHeaders(version) : {}),
  };
}

/** `bytes=0-99`, `bytes=100-`, `bytes=-100`; undefined for no (or an ignorable) Range header. */
function byteRange(call: AwsCall, size: number): { start: number; end: number } | undefined {
  const range = header(call, 'range');
  const match = range === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [first, last] = [match[1] as string, match[2] as string];
  const start = first === '' ? Math.max(0, size - Number(last)) : Number(first);
  const end = first === '' || last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || start > end) {
    throw new S3Error('InvalidRange', 'The requested range is not satisfiable', 416, { headers: { 'content-range': `bytes */${size}` }, fields: { RangeRequested: range as string, ActualObjectSize: String(size) } });
  }
  return { start, end };
}

function readObject(call: AwsCall, head: boolean): HttpOutput {
  const key = objectKey(call);
  const versionId = versionIdParam(call);
  const bucket = bucketFor(call, bucketName(call), { action: versionId === undefined ? 's3:GetObject' : 's3:GetObjectVersion', key });
  const version = readableVersion(call, bucket, key, versionId);
  const content = version.content as NonNullable<ObjectVersion['content']>;
  const headers = objectHeaders(call, bucket, version);
  const range = byteRange(call, content.size);
  if (range) {
    // A part of the body cannot be checked against the whole object's checksum, so S3 leaves it out.
    for (const name of Object.keys(headers)) if (name.startsWith('x-amz-checksum-')) delete headers[name];
    const length = range.end - range.start + 1;
    headers['content-range'] = `bytes ${range.start}-${range.end}/${content.size}`;
    if (head) return emptyResponse(call, 206, { ...headers, 'content-length': String(length) });
    return { ...emptyResponse(call, 206, headers), body: contentBytes(content).subarray(range.start, range.end + 1) };
  }
  if (head) return emptyResponse(call, 200, { ...headers, 'content-length': String(content.size) });
  return { ...emptyResponse(call, 200, headers), body: contentBytes(content) };
}

/** The payload, undoing `aws-chunked`; trailing headers carry the checksum of a streamed upload. */
function uploadBody(call: AwsCall): { payload: Buffer; trailers: Record<string, string> } {
  const encodings = (header(call, 'content-encoding') ?? '').split(',').map((e) => e.trim());
  const chunked = encodings.includes('aws-chunked') || (header(call, 'x-amz-content-sha256') ?? '').startsWith('STREAMING-');
  if (!chunked) return { payload: call.http.body, trailers: {} };
  const decoded = decodeAwsChunked(call.http.body);
  if (!decoded) throw new S3Error('IncompleteBody', 'The request body terminated unexpectedly', 400);
  const declared = header(call, 'x-amz-decoded-content-length');
  if (declared !== undefined && Number(declared) !== decoded.payload.length) throw new S3Error('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header', 400);
  return decoded;
}

/** Checks Content-MD5 and any x-amz-checksum-* value; returns the algorithm the object's checksum uses. */
function verifyIntegrity(call: AwsCall, payload: Buffer, trailers: Record<string, string>): ChecksumAlgorithm {
  const md5 = header(call, 'content-md5');
  if (md5 !== undefined) {
    const digest = Buffer.from(md5, 'base64');
    if (digest.length !== 16) throw new S3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.', 400);
    if (digest.toString('hex') !== md5Hex(payload)) throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400);
  }
  const given = CHECKSUM_ALGORITHMS.flatMap((algorithm) => {
    const value = header(call, checksumHeader(algorithm)) ?? trailers[checksumHeader(algorithm)];
    return value === undefined ? [] : [{ algorithm, value }];
  });
  if (given.length > 1) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.', 400);
  const [checksum] = given;
  if (checksum) {
    if (computeChecksum(checksum.algorithm, payload) !== checksum.value) {
      throw new S3Error('BadDigest', `The ${checksum.algorithm} you specified did not match the calculated checksum.`, 400);
    }
    return checksum.algorithm;
  }
  const declared = header(call, 'x-amz-sdk-checksum-algorithm') ?? header(call, 'x-amz-checksum-algorithm');
  if (declared === undefined) return DEFAULT_CHECKSUM_ALGORITHM;
  const upper = declared.toUpperCase();
  if (!isChecksumAlgorithm(upper)) throw new S3Error('InvalidRequest', 'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]', 400);
  return upper;
}

function storageClassHeader(call: AwsCall): string {
  const storageClass = header(call, 'x-amz-storage-class') ?? 'STANDARD';
  if (!STORAGE_CLASSES.has(storageClass)) throw new S3Error('InvalidStorageClass', 'The storage class you specified is not valid', 400);
  return storageClass;
}

function encryptionFor(call: AwsCall, bucket: Bucket): ServerSideEncryption | undefined {
  const algorithm = header(call, 'x-amz-server-side-encryption');
  if (algorithm === undefined) return defaultObjectEncryption(bucket);
  if (algorithm !== 'AES256' && algorithm !== 'aws:kms' && algorithm !== 'aws:kms:dsse') {
    throw new S3Error('InvalidArgument', 'The encryption method specified is not supported', 400, { fields: { ArgumentName: 'x-amz-server-side-encryption', ArgumentValue: algorithm } });
  }
  if (algorithm === 'AES256') return { algorithm };
  const requested = header(call, 'x-amz-server-side-encryption-aws-kms-key-id');
  const fallback = defaultObjectEncryption({ ...bucket, encryption: { algorithm } });
  return { algorithm, kmsKeyId: requested ?? fallback?.kmsKeyId, bucketKeyEnabled: header(call, 'x-amz-server-side-encryption-bucket-key-enabled') === 'true' };
}

function userMetadata(call: AwsCall): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(call.http.headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) metadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
  }
  return metadata;
}

function taggingHeader(call: AwsCall): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(header(call, 'x-amz-tagging') ?? ''));
}

/** Conditional writes: `If-None-Match: *` (only if absent) and `If-Match: <etag>` (only if unchanged). */
function checkWriteConditions(call: AwsCall, bucket: Bucket, key: string): void {
  const current = bucket.objects.get(key)?.[0];
  const live = current && !current.deleteMarker ? current : undefined;
  const failed = () => new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { fields: { Condition: 'If-None-Match' } });
  if (header(call, 'if-none-match') === '*' && live) throw failed();
  const ifMatch = header(call, 'if-match');
  if (ifMatch !== undefined) {
    if (!live?.content) throw noSuchKey(key);
    if (ifMatch !== '*' && ifMatch !== etagOf(live.content)) throw failed();
  }
}

function writeResponseHeaders(bucket: Bucket, version: ObjectVersion): Record<string, string> {
  return { etag: etagOf(version.content as NonNullable<ObjectVersion['content']>), ...versionHeader(bucket, version), ...checksumHeaders(version), ...encryptionHeaders(version.sse) };
}

/** Buckets have BucketOwnerEnforced object ownership (the default since 2023): ACLs that grant anything are refused. */
function refuseAcls(call: AwsCall): void {
  const acl = header(call, 'x-amz-acl');
  const grants = Object.keys(call.http.headers).some((name) => name.startsWith('x-amz-grant-'));
  if ((acl !== undefined && acl !== 'bucket-owner-full-control' && acl !== 'private') || grants) {
    throw new S3Error('AccessControlListNotSupported', 'The bucket does not allow ACLs', 400);
  }
}

function putObject(call: AwsCall): HttpOutput {
  const key = objectKey(call);
  if (Buffer.byteLength(key) > 1024) throw new S3Error('KeyTooLongError', 'Your key is too long', 400);
  const bucket = bucketFor(call, bucketName(call), { action: 's3:PutObject', key });
  refuseAcls(call);
  const { payload, trailers } = uploadBody(call);
  const checksumAlgorithm = verifyIntegrity(call, payload, trailers);
  checkWriteConditions(call, bucket, key);
  const content = uploadedContent(Buffer.from(payload));
  const version = addVersion(call.world, bucket, key, {
    deleteMarker: false,
    lastModified: wholeSeconds(call.world.now()),
    content,
    checksumAlgorithm,
    contentType: header(call, 'content-type') ?? 'binary/octet-stream',
    metadata: userMetadata(call),
    storageClass: storageClassHeader(call),
    sse: encryptionFor(call, bucket),
    tags: taggingHeader(call),
  });
  replicate(call.world, bucket, key, version);
  return emptyResponse(call, 200, { ...writeResponseHeaders(bucket, version), 'x-amz-object-size': String(content.size) });
}

/** `x-amz-copy-source`: `[/]bucket/key[?versionId=id]`, the key URL-encoded. */
function copySource(call: AwsCall): { bucket: string; key: string; versionId?: string } {
  const raw = header(call, 'x-amz-copy-source');
  const invalid = () => new S3Error('InvalidArgument', 'Invalid copy source object key', 400, { fields: { ArgumentName: 'x-amz-copy-source' } });
  if (!raw) throw invalid();
  const [path, query] = raw.replace(/^\//, '').split('?', 2) as [string, string | undefined];
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) throw invalid();
  let key: string;
  try {
    key = decodeURIComponent(path.slice(slash + 1));
  } catch {
    throw invalid();
  }
  const versionId = new URLSearchParams(query ?? '').get('versionId') ?? undefined;
  return { bucket: decodeURIComponent(path.slice(0, slash)), key, versionId };
}

function copyObject(call: AwsCall): HttpOutput {
  const key = objectKey(call);
  const source = copySource(call);
  const sourceAction = source.versionId !== undefined ? 's3:GetObjectVersion' : 's3:GetObject';
  // A copy may read from a bucket in another region; only the destination must match the request's.
  const sourceBucket = bucketFor(call, source.bucket, { action: sourceAction, key: source.key, anyRegion: true });
  const original = readableVersion(call, sourceBucket, source.key, source.versionId, true);
  const bucket = bucketFor(call, bucketName(call), { action: 's3:PutObject', key });
  refuseAcls(call);
  const directive = header(call, 'x-amz-metadata-directive') ?? 'COPY';
  if (directive !== 'COPY' && directive !== 'REPLACE') throw new S3Error('InvalidArgument', 'Unknown metadata directive.', 400);
  const sameObject = sourceBucket === bucket && source.key === key && original === bucket.objects.get(key)?.[0];
  const changes = directive === 'REPLACE' || header(call, 'x-amz-storage-class') !== undefined || header(call, 'x-amz-server-side-encryption') !== undefined;
  if (sameObject && !changes) {
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      400,
    );
  }
  const requested = header(call, 'x-amz-checksum-algorithm')?.toUpperCase();
  if (requested !== undefined && !isChecksumAlgorithm(requested)) throw new S3Error('InvalidRequest', 'Checksum algorithm provided is unsupported.', 400);
  checkWriteConditions(call, bucket, key);
  const version = addVersion(call.world, bucket, key, {
    deleteMarker: false,
    lastModified: wholeSeconds(call.world.now()),
    // The bytes are the source's: the copy shares them, and their digests.
    content: original.content,
    checksumAlgorithm: requested ?? original.checksumAlgorithm ?? DEFAULT_CHECKSUM_ALGORITHM,
    contentType: directive === 'REPLACE' ? (header(call, 'content-type') ?? 'binary/octet-stream') : original.contentType,
    metadata: directive === 'REPLACE' ? userMetadata(call) : { ...original.metadata },
    storageClass: storageClassHeader(call),
    sse: encryptionFor(call, bucket),
    tags: header(call, 'x-amz-tagging-directive') === 'REPLACE' ? taggingHeader(call) : { ...original.tags },
  });
  replicate(call.world, bucket, key, version);
  const algorithm = version.checksumAlgorithm as ChecksumAlgorithm;
  const result = {
    ETag: etagOf(version.content as NonNullable<ObjectVersion['content']>),
    LastModified: version.lastModified,
    ChecksumType: 'FULL_OBJECT',
    [`Checksum${algorithm}`]: checksumOf(version.content as NonNullable<ObjectVersion['content']>, algorithm),
  };
  return xmlResponse(call, 'CopyObjectResult', result, {
    ...versionHeader(bucket, version),
    ...(sourceBucket.versioning !== undefined ? { 'x-amz-copy-source-version-id': original.versionId } : {}),
    ...encryptionHeaders(version.sse),
  });
}

interface DeleteOutcome {
  versionId?: string;
  deleteMarker: boolean;
}

/** One key's delete, as DeleteObject and each entry of DeleteObjects do it. */
function deleteOne(call: AwsCall, bucket: Bucket, key: string, versionId: string | undefined): DeleteOutcome {
  authorize(call, bucket, versionId === undefined ? 's3:DeleteObject' : 's3:DeleteObjectVersion', key);
  if (versionId !== undefined) {
    if (bucket.mfaDelete === 'Enabled' && header(call, 'x-amz-mfa') === undefined) {
      throw new S3Error('AccessDenied', 'Mfa Authentication must be used for this request', 403);
    }
    const removed = removeVersion(bucket, key, versionId);
    // S3 answers 204 with the version id even when there was no such version.
    return { versionId, deleteMarker: removed?.deleteMarker ?? false };
  }
  if (bucket.versioning === undefined) {
    removeKey(bucket, key);
    return { deleteMarker: false };
  }
  const marker = addVersion(call.world, bucket, key, {
    deleteMarker: true,
    lastModified: wholeSeconds(call.world.now()),
    contentType: '',
    metadata: {},
    storageClass: 'STANDARD',
    tags: {},
  });
  replicate(call.world, bucket, key, marker);
  return { versionId: marker.versionId, deleteMarker: true };
}

function deleteObject(call: AwsCall): HttpOutput {
  const key = objectKey(call);
  const bucket = bucketFor(call, bucketName(call), { action: null });
  const outcome = deleteOne(call, bucket, key, versionIdParam(call));
  return emptyResponse(call, 204, {
    ...(outcome.deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}),
    ...(outcome.versionId !== undefined ? { 'x-amz-version-id': outcome.versionId } : {}),
  });
}

function deleteObjects(call: AwsCall): HttpOutput {
  const bucket = bucketFor(call, bucketName(call), { action: null });
  const request = requestXml(call, 'Delete');
  const objects = asArray(request['Object']).map((o) => asObject(o));
  if (objects.length === 0 || objects.length > 1000) throw malformedXml();
  const quiet = optionalText(request['Quiet']) === 'true';
  const deleted: Record<string, unknown>[] = [];
  const errors: Record<string, unknown>[] = [];
  for (const object of objects) {
    const key = optionalText(object['Key']);
    if (key === undefined) throw malformedXml();
    const versionId = optionalText(object['VersionId']);
    try {
      const outcome = deleteOne(call, bucket, key, versionId);
      if (quiet) continue;
      deleted.push(
        versionId !== undefined
          ? { Key: key, VersionId: versionId, ...(outcome.deleteMarker ? { DeleteMarker: true, DeleteMarkerVersionId: versionId } : {}) }
          : { Key: key, ...(outcome.deleteMarker ? { DeleteMarker: true, DeleteMarkerVersionId: outcome.versionId } : {}) },
      );
    } catch (err) {
      if (!(err instanceof S3Error)) throw err;
      errors.push({ Key: key, VersionId: versionId, Code: err.code, Message: err.message });
    }
  }
  return xmlResponse(call, 'DeleteResult', { Deleted: deleted.length > 0 ? deleted : undefined, Error: errors.length > 0 ? errors : undefined });
}

/** Object tags live on each version; tagging a noncurrent version needs its version id. */
function taggedVersion(call: AwsCall, action: string, versionAction: string): { bucket: Bucket; version: ObjectVersion } {
  const key = objectKey(call);
  const versionId = versionIdParam(call);
  const bucket = bucketFor(call, bucketName(call), { action: versionId === undefined ? action : versionAction, key });
  return { bucket, version: readableVersion(call, bucket, key, versionId) };
}

function getObjectTagging(call: AwsCall): HttpOutput {
  const { bucket, version } = taggedVersion(call, 's3:GetObjectTagging', 's3:GetObjectVersionTagging');
  const tags = Object.entries(version.tags).map(([Key, Value]) => ({ Key, Value }));
  return xmlResponse(call, 'Tagging', { TagSet: tags.length > 0 ? { Tag: tags } : '' }, versionHeader(bucket, version));
}

function putObjectTagging(call: AwsCall): HttpOutput {
  const { bucket, version } = taggedVersion(call, 's3:PutObjectTagging', 's3:PutObjectVersionTagging');
  version.tags = Object.fromEntries(validTagSet(requestXml(call, 'Tagging'), 10).map((t) => [t.Key, t.Value]));
  return emptyResponse(call, 200, versionHeader(bucket, version));
}

function deleteObjectTagging(call: AwsCall): HttpOutput {
  const { bucket, version } = taggedVersion(call, 's3:DeleteObjectTagging', 's3:DeleteObjectVersionTagging');
  version.tags = {};
  return emptyResponse(call, 204, versionHeader(bucket, version));
}

function listing(action: string, body: (bucket: Bucket, call: AwsCall) => Record<string, unknown>, root: string) {
  return (call: AwsCall): HttpOutput => {
    const bucket = bucketFor(call, bucketName(call), { action });
    return xmlResponse(call, root, body(bucket, call));
  };
}

export const objectHandlers: Record<string, (call: AwsCall) => HttpOutput> = {
  PutObject: putObject,
  CopyObject: copyObject,
  GetObject: (call) => readObject(call, false),
  HeadObject: (call) => readObject(call, true),
  DeleteObject: deleteObject,
  DeleteObjects: deleteObjects,
  GetObjectTagging: getObjectTagging,
  PutObjectTagging: putObjectTagging,
  DeleteObjectTagging: deleteObjectTagging,
  ListObjectsV2: listing('s3:ListBucket', (bucket, call) => listObjectsV2(bucket, call.http.query), 'ListBucketResult'),
  ListObjects: listing('s3:ListBucket', (bucket, call) => listObjectsV1(bucket, call.http.query), 'ListBucketResult'),
  ListObjectVersions: listing('s3:ListBucketVersions', (bucket, call) => listObjectVersions(bucket, call.http.query, call.world.now().getTime()), 'ListVersionsResult'),
};
