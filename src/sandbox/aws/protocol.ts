/**
 * The wire formats of the AWS protocols the SDK clients speak: awsQuery (STS, IAM, RDS), ec2Query,
 * awsJson1_1 (CloudTrail, Organizations), restJson1 (GuardDuty) and restXml (S3). Shapes follow the
 * clients' own serializers in @aws-sdk/client-* and @aws-sdk/core.
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import type { HttpOutput } from '../http-types.js';

export type AwsProtocol = 'query' | 'ec2' | 'json' | 'rest-json' | 'rest-xml';

/** An error the emulated service answers with: its code, HTTP status and message, as AWS sends them. */
export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly fault: 'Sender' | 'Receiver';

  constructor(code: string, message: string, status = 400, fault: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender') {
    super(message);
    this.code = code;
    this.status = status;
    this.fault = fault;
  }
}

/** A value as the query protocols send it: nested objects, with `.N` segments (1-based) as arrays. */
export type QueryValue = string | QueryValue[] | { [key: string]: QueryValue };

/**
 * `Filter.1.Name=x&Filter.1.Value.1=y` -> `{ Filter: [{ Name: 'x', Value: ['y'] }] }`;
 * `Tags.member.1.Key=k` -> `{ Tags: { member: [{ Key: 'k' }] } }`.
 */
export function parseQueryParams(params: URLSearchParams): Record<string, QueryValue> {
  const root: Record<string, QueryValue> = {};
  for (const [key, value] of params) {
    const parts = key.split('.');
    let node: Record<string, QueryValue> | QueryValue[] = root;
    parts.forEach((part, i) => {
      const isLast = i === parts.length - 1;
      const nextIsIndex = !isLast && /^\d+$/.test(parts[i + 1] as string);
      const slot: string | number = Array.isArray(node) ? Number(part) - 1 : part;
      const container = node as Record<string | number, QueryValue>;
      if (isLast) {
        container[slot] = value;
        return;
      }
      if (container[slot] === undefined || typeof container[slot] === 'string') container[slot] = nextIsIndex ? [] : {};
      node = container[slot] as Record<string, QueryValue> | QueryValue[];
    });
  }
  return compactArrays(root) as Record<string, QueryValue>;
}

function compactArrays(value: QueryValue): QueryValue {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compactArrays);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compactArrays(v)]));
}

/** Reads a query-protocol list: `Names.member.N` (awsQuery) or `Name.N` (ec2Query). */
export function queryList(params: Record<string, QueryValue> | undefined, key: string): QueryValue[] {
  const value = params?.[key];
  if (value === undefined || typeof value === 'string') return [];
  if (Array.isArray(value)) return value;
  const members = value['member'];
  return Array.isArray(members) ? members : [];
}

export function queryString(params: Record<string, QueryValue> | undefined, key: string): string | undefined {
  const value = params?.[key];
  return typeof value === 'string' ? value : undefined;
}

export function queryNumber(params: Record<string, QueryValue> | undefined, key: string): number | undefined {
  const value = queryString(params, key);
  return value === undefined || value === '' ? undefined : Number(value);
}

export function queryBool(params: Record<string, QueryValue> | undefined, key: string): boolean | undefined {
  const value = queryString(params, key);
  return value === undefined ? undefined : value === 'true';
}

/** A list as XML: `<Wrapper><member>..</member></Wrapper>`; member names differ per shape (RDS uses `DBInstance`). */
export function xmlList(items: unknown[], memberName = 'member'): unknown {
  return items.length === 0 ? '' : { [memberName]: items };
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false, format: false });
const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true, isArray: () => false });

/** Renders plain data as XML: Dates as ISO-8601, booleans as `true`/`false`, arrays as repeated elements. */
export function toXml(value: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(prepare(value))}`;
}

/** Parses an XML request body (S3 PUTs) into plain objects; repeated elements become arrays. */
export function parseXml(text: string): Record<string, unknown> {
  return parser.parse(text) as Record<string, unknown>;
}

function prepare(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map(prepare);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const prepared = prepare(v);
      if (prepared !== undefined) out[k] = prepared;
    }
    return out;
  }
  return value;
}

const XML_HEADERS = { 'content-type': 'text/xml' };
const JSON_11_HEADERS = { 'content-type': 'application/x-amz-json-1.1' };

export function queryResponse(operation: string, xmlns: string, result: unknown, requestId: string): HttpOutput {
  const body: Record<string, unknown> = { '@_xmlns': xmlns };
  if (result !== undefined) body[`${operation}Result`] = result;
  body['ResponseMetadata'] = { RequestId: requestId };
  return { status: 200, headers: { ...XML_HEADERS, 'x-amzn-requestid': requestId }, body: toXml({ [`${operation}Response`]: body }) };
}

export function ec2Response(operation: string, xmlns: string, result: unknown, requestId: string): HttpOutput {
  const body = { '@_xmlns': xmlns, requestId, ...(result as Record<string, unknown> | undefined) };
  return { status: 200, headers: { ...XML_HEADERS, 'x-amzn-requestid': requestId }, body: toXml({ [`${operation}Response`]: body }) };
}

export function jsonResponse(result: unknown, requestId: string, status = 200, headers: Record<string, string> = JSON_11_HEADERS): HttpOutput {
  return { status, headers: { ...headers, 'x-amzn-requestid': requestId }, body: JSON.stringify(result ?? {}) };
}

/** The error body each protocol's deserializer reads the code from. */
export function errorResponse(protocol: AwsProtocol, error: AwsError, requestId: string): HttpOutput {
  const base = { status: error.status, errorCode: error.code };
  switch (protocol) {
    case 'query':
      return {
        ...base,
        headers: { ...XML_HEADERS, 'x-amzn-requestid': requestId },
        body: toXml({ ErrorResponse: { Error: { Type: error.fault, Code: error.code, Message: error.message }, RequestId: requestId } }),
      };
    case 'ec2':
      return {
        ...base,
        headers: { ...XML_HEADERS, 'x-amzn-requestid': requestId },
        body: toXml({ Response: { Errors: { Error: { Code: error.code, Message: error.message } }, RequestID: requestId } }),
      };
    case 'rest-xml':
      return {
        ...base,
        headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
        body: toXml({ Error: { Code: error.code, Message: error.message, RequestId: requestId } }),
      };
    case 'json':
      return {
        ...base,
        headers: {
          ...JSON_11_HEADERS,
          'x-amzn-requestid': requestId,
          'x-amzn-errortype': error.code,
          // awsQueryCompatible services (CloudTrail) let the SDK read the query-era code from here.
          'x-amzn-query-error': `${error.code};${error.fault}`,
        },
        body: JSON.stringify({ __type: error.code, message: error.message }),
      };
    case 'rest-json':
      return {
        ...base,
        headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amzn-errortype': error.code },
        body: JSON.stringify({ message: error.message, Message: error.message }),
      };
  }
}
