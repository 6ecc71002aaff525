/**
 * AWS on one endpoint: the SigV4 credential scope says which service and region a request is for, the
 * access key says which account and principal sent it.
 */
import type { Emulator, HttpInput, HttpOutput, RoutedRequest } from '../http-types.js';
import type { SandboxCredential, World } from '../world.js';
import { AwsError, ec2Response, errorResponse, jsonResponse, parseQueryParams, queryResponse, type AwsProtocol } from './protocol.js';
import type { AwsCall, AwsServiceEmulator } from './service.js';
import { sts } from './sts.js';
import { organizations } from './organizations.js';
import { ec2 } from './ec2.js';
import { rds } from './rds.js';
import { s3 } from './s3.js';
import { iam } from './iam.js';
import { guardduty } from './guardduty.js';
import { cloudtrail } from './cloudtrail.js';

/** The explicit registry of emulated services, by SigV4 signing name. */
export const awsServices: Record<string, AwsServiceEmulator> = {
  sts,
  organizations,
  ec2,
  rds,
  s3,
  iam,
  guardduty,
  cloudtrail,
};

interface Scope {
  accessKeyId: string;
  region: string;
  service: string;
}

const CREDENTIAL = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;

export function credentialScope(input: HttpInput): Scope | undefined {
  const auth = input.headers.authorization;
  const match = typeof auth === 'string' ? CREDENTIAL.exec(auth) : null;
  const presigned = input.query.get('X-Amz-Credential');
  const parts = match ? [match[1], match[2], match[3]] : presigned?.split('/').filter((_, i) => i !== 1);
  if (!parts || parts.length < 3) return undefined;
  return { accessKeyId: parts[0] as string, region: parts[1] as string, service: parts[2] as string };
}

export const aws: Emulator = {
  name: 'aws',
  route(input, world) {
    const scope = credentialScope(input);
    if (!scope) return undefined;
    const service = awsServices[scope.service];
    const recordAs = `aws:${scope.service}`;
    if (!service) {
      return immediate(recordAs, 'Unknown', scope, {
        status: 400,
        errorCode: 'UnknownService',
        headers: { 'content-type': 'text/plain' },
        body: `The sandbox does not emulate the AWS service "${scope.service}".`,
      });
    }
    const { operation, params, pathParams } = resolveOperation(service, input);
    const requestId = world.requestId();
    const credential = world.credentials.get(scope.accessKeyId);
    const base = {
      service: recordAs,
      operation,
      action: service.iamAction?.(operation, input) ?? `${scope.service}:${operation}`,
      region: scope.region,
      accessKeyId: scope.accessKeyId,
      account: credential?.accountId,
      throttled: () => errorResponse(service.protocol, new AwsError(service.throttlingError.code, 'Rate exceeded', service.throttlingError.status), requestId),
      failed: (status: number) =>
        errorResponse(service.protocol, new AwsError(status === 503 ? 'ServiceUnavailable' : 'InternalFailure', 'We encountered an internal error. Please try again.', status), requestId),
    };
    const routed: RoutedRequest = {
      ...base,
      handle: async () => {
        try {
          const account = authenticate(world, credential, scope, service.protocol);
          const call: AwsCall = { world, service: scope.service, operation, region: scope.region, account, credential: credential as SandboxCredential, requestId, http: input, params, pathParams };
          authorize(service, call);
          return await invoke(service, call);
        } catch (err) {
          if (err instanceof AwsError) return errorResponse(service.protocol, err, requestId);
          throw err;
        }
      },
    };
    return routed;
  },
};

function immediate(service: string, operation: string, scope: Scope, output: HttpOutput): RoutedRequest {
  return {
    service,
    operation,
    region: scope.region,
    accessKeyId: scope.accessKeyId,
    handle: async () => output,
    throttled: () => output,
    failed: () => output,
  };
}

interface Resolved {
  operation: string;
  params: AwsCall['params'];
  pathParams: Record<string, string>;
}

function resolveOperation(service: AwsServiceEmulator, input: HttpInput): Resolved {
  switch (service.protocol) {
    case 'query':
    case 'ec2': {
      const form = new URLSearchParams(input.body.length > 0 ? input.body.toString('utf8') : input.query.toString());
      const operation = form.get('Action') ?? 'Unknown';
      form.delete('Action');
      form.delete('Version');
      return { operation, params: parseQueryParams(form) as AwsCall['params'], pathParams: {} };
    }
    case 'json': {
      const target = String(input.headers['x-amz-target'] ?? '');
      const operation = target.includes('.') ? target.slice(target.lastIndexOf('.') + 1) : 'Unknown';
      let params: AwsCall['params'] = {};
      try {
        params = input.body.length > 0 ? (JSON.parse(input.body.toString('utf8')) as AwsCall['params']) : {};
      } catch {
        params = { __malformed: true } as unknown as AwsCall['params'];
      }
      return { operation, params, pathParams: {} };
    }
    case 'rest-json':
    case 'rest-xml': {
      const route = service.route?.(input);
      return { operation: route?.operation ?? 'Unknown', params: {} as AwsCall['params'], pathParams: route?.pathParams ?? {} };
    }
  }
}

const INVALID_KEY: Record<AwsProtocol, string> = {
  query: 'InvalidClientTokenId',
  ec2: 'AuthFailure',
  json: 'UnrecognizedClientException',
  'rest-json': 'UnrecognizedClientException',
  'rest-xml': 'InvalidAccessKeyId',
};

function authenticate(world: World, credential: SandboxCredential | undefined, scope: Scope, protocol: AwsProtocol) {
  const status = protocol === 'ec2' || protocol === 'rest-xml' || protocol === 'rest-json' ? 403 : 403;
  if (!credential) throw new AwsError(INVALID_KEY[protocol], 'The security token included in the request is invalid.', status);
  if (credential.expiresAt && credential.expiresAt.getTime() <= world.now().getTime()) {
    throw new AwsError(protocol === 'rest-xml' ? 'ExpiredToken' : 'ExpiredTokenException', 'The security token included in the request is expired', 403);
  }
  const account = world.account(credential.accountId);
  if (!account) throw new AwsError(INVALID_KEY[protocol], 'The security token included in the request is invalid.', status);
  void scope;
  return account;
}

function authorize(service: AwsServiceEmulator, call: AwsCall): void {
  const action = service.iamAction?.(call.operation, call.http) ?? `${call.service}:${call.operation}`;
  if (!call.credential.denyActions.some((pattern) => actionMatches(pattern, action))) return;
  const { code, status } = service.accessDeniedError;
  throw new AwsError(code, `User: ${call.credential.principalArn} is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`, status);
}

export function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return re.test(action);
}

async function invoke(service: AwsServiceEmulator, call: AwsCall): Promise<HttpOutput> {
  if (service.protocol === 'rest-json' || service.protocol === 'rest-xml') {
    const handler = service.rest?.[call.operation];
    if (!handler) throw unknownOperation(service, call);
    return handler(call);
  }
  const handler = service.operations?.[call.operation];
  if (!handler) throw unknownOperation(service, call);
  if ((call.params as { __malformed?: boolean }).__malformed) throw new AwsError('SerializationException', 'Malformed request body: not valid JSON.', 400);
  const result = await handler(call);
  switch (service.protocol) {
    case 'query':
      return queryResponse(call.operation, service.xmlNamespace ?? '', result, call.requestId);
    case 'ec2':
      return ec2Response(call.operation, service.xmlNamespace ?? '', result, call.requestId);
    case 'json':
      return jsonResponse(result, call.requestId);
  }
}

/** What AWS itself answers for an action it does not know. */
function unknownOperation(service: AwsServiceEmulator, call: AwsCall): AwsError {
  switch (service.protocol) {
    case 'query':
    case 'ec2':
      return new AwsError('InvalidAction', `The action ${call.operation} is not valid for this web service.`, 400);
    case 'json':
      return new AwsError('UnknownOperationException', `Unknown operation ${call.operation}`, 400);
    case 'rest-json':
      return new AwsError('UnknownOperationException', `Unknown operation ${call.http.method} ${call.http.path}`, 404);
    case 'rest-xml':
      return new AwsError('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
  }
}
