import type { HttpInput, HttpOutput } from '../http-types.js';
import type { SandboxAccount, SandboxCredential, World } from '../world.js';
import type { AwsProtocol, QueryValue } from './protocol.js';

/** One call to an emulated AWS service, already authenticated and routed. */
export interface AwsCall {
  world: World;
  /** Signing name from the credential scope: `ec2`, `rds`, `s3`, ... */
  service: string;
  operation: string;
  region: string;
  /** The account the caller's credentials belong to. */
  account: SandboxAccount;
  credential: SandboxCredential;
  requestId: string;
  http: HttpInput;
  /** Query protocols: the form parameters, nested. JSON protocols: the parsed body. REST: `{}`. */
  params: Record<string, QueryValue> & Record<string, unknown>;
  /** REST protocols: the path parameters the route matched (`{ detectorId }`, `{ Bucket, Key }`). */
  pathParams: Record<string, string>;
}

/** Query and JSON protocols: return the result object; the framework wraps it. Throw AwsError to fail. */
export type OperationHandler = (call: AwsCall) => unknown | Promise<unknown>;
/** REST protocols: return the whole HTTP answer (use protocol helpers). Throw AwsError to fail. */
export type RestHandler = (call: AwsCall) => HttpOutput | Promise<HttpOutput>;

export interface RestRoute {
  operation: string;
  pathParams: Record<string, string>;
}

export interface ErrorCode {
  code: string;
  status: number;
}

export interface AwsServiceEmulator {
  signingName: string;
  protocol: AwsProtocol;
  /** XML namespace for query/ec2 responses. */
  xmlNamespace?: string;
  /** `X-Amz-Target` prefix for the JSON protocol, e.g. `AWSOrganizationsV20161128`. */
  targetPrefix?: string;
  /** The service's own throttling error, e.g. EC2's `RequestLimitExceeded` (503). */
  throttlingError: ErrorCode;
  /** The service's own access-denied error, e.g. EC2's `UnauthorizedOperation` (403). */
  accessDeniedError: ErrorCode;
  /** Query and JSON protocols. */
  operations?: Record<string, OperationHandler>;
  /** REST protocols: which operation an HTTP request is. */
  route?(http: HttpInput): RestRoute | undefined;
  rest?: Record<string, RestHandler>;
  /**
   * The IAM action a request needs, where it differs from `service:Operation` (S3, where a request on
   * a specific object version needs the `...Version` action).
   */
  iamAction?(operation: string, http?: HttpInput): string;
}
