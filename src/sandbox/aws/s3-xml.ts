/**
 * restXml as S3 speaks it: namespaced root elements, errors with extra elements and headers (the
 * bucket's region on a redirect, `x-amz-delete-marker` on a deleted key), and request bodies parsed
 * into plain objects whose repeated elements may or may not be arrays.
 */
import type { HttpOutput } from '../http-types.js';
import { AwsError, parseXml, toXml } from './protocol.js';
import type { AwsCall } from './service.js';

export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** An S3 error with what S3 adds to the generic answer: headers, and elements beside Code and Message. */
export class S3Error extends AwsError {
  readonly headers: Record<string, string>;
  readonly fields: Record<string, string>;

  constructor(code: string, message: string, status: number, extra: { headers?: Record<string, string>; fields?: Record<string, string> } = {}) {
    super(code, message, status);
    this.headers = extra.headers ?? {};
    this.fields = extra.fields ?? {};
  }
}

export function baseHeaders(call: AwsCall): Record<string, string> {
  return { 'x-amz-request-id': call.requestId, 'x-amz-id-2': Buffer.from(call.requestId).toString('base64') };
}

export function xmlResponse(call: AwsCall, root: string, body: Record<string, unknown> | string, headers: Record<string, string> = {}): HttpOutput {
  const element = typeof body === 'string' ? { '@_xmlns': S3_NAMESPACE, '#text': body } : { '@_xmlns': S3_NAMESPACE, ...body };
  return { status: 200, headers: { 'content-type': 'application/xml', ...baseHeaders(call), ...headers }, body: toXml({ [root]: element }) };
}

export function emptyResponse(call: AwsCall, status = 200, headers: Record<string, string> = {}): HttpOutput {
  return { status, headers: { ...baseHeaders(call), ...headers }, body: '' };
}

export function errorOutput(call: AwsCall, error: AwsError): HttpOutput {
  const extra = error instanceof S3Error ? error : undefined;
  const body = { Code: error.code, Message: error.message, ...extra?.fields, RequestId: call.requestId, HostId: baseHeaders(call)['x-amz-id-2'] };
  return {
    status: error.status,
    errorCode: error.code,
    headers: { 'content-type': 'application/xml', ...baseHeaders(call), ...extra?.headers },
    // S3 sends no body with errors to HEAD requests; the server drops it, the status says it all.
    body: toXml({ Error: body }),
  };
}

export function malformedXml(): S3Error {
  return new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
}

/** Parses a PUT body's root element, which must be `root`. */
export function requestXml(call: AwsCall, root: string): Record<string, unknown> {
  const text = call.http.body.toString('utf8').trim();
  if (text === '') throw malformedXml();
  let parsed: Record<string, unknown>;
  try {
    parsed = parseXml(text);
  } catch {
    throw malformedXml();
  }
  const element = parsed[root];
  if (element === undefined) throw malformedXml();
  return element === '' ? {} : asObject(element);
}

/** One element or a repeated one, as a list. */
export function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** An element with children; an empty element (`<Filter/>`) parses as '' and becomes {}. */
export function asObject(value: unknown): Record<string, unknown> {
  if (value === '' || value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformedXml();
  return value as Record<string, unknown>;
}

export function optionalText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw malformedXml();
  return value;
}

export function optionalInt(value: unknown, field: string): number | undefined {
  const text = optionalText(value);
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw new S3Error('InvalidArgument', `'${field}' must be an integer`, 400);
  return Number(text);
}

export function optionalBool(value: unknown): boolean | undefined {
  const text = optionalText(value);
  if (text === undefined) return undefined;
  if (text !== 'true' && text !== 'false') throw malformedXml();
  return text === 'true';
}

/** `<Tag><Key/><Value/></Tag>` elements. */
export function parseTags(value: unknown): Array<{ Key: string; Value: string }> {
  return asArray(value).map((tag) => {
    const element = asObject(tag);
    const key = optionalText(element['Key']);
    if (key === undefined) throw malformedXml();
    return { Key: key, Value: optionalText(element['Value']) ?? '' };
  });
}

/** Header value as one string (Node joins repeated headers with `, `). */
export function header(call: AwsCall, name: string): string | undefined {
  const value = call.http.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
