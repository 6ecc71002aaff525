import type { IncomingHttpHeaders } from 'node:http';
import type { World } from './world.js';

export interface HttpInput {
  method: string;
  /** Path without the query string, percent-decoded segments left as sent. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  host: string;
  body: Buffer;
}

export interface HttpOutput {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The error code the answer carries, for the inspection log; never sent. */
  errorCode?: string;
}

/** A request an emulator has recognised: who it is for, and how to answer it. */
export interface RoutedRequest {
  service: string;
  operation: string;
  /** For AWS: the IAM action the request needs, as the inspection log records it. */
  action?: string;
  account?: string;
  region?: string;
  accessKeyId?: string;
  handle(): Promise<HttpOutput>;
  /** The service's own throttling answer. */
  throttled(): HttpOutput;
  /** The service's own answer for an internal failure with this status. */
  failed(status: number): HttpOutput;
}

export interface Emulator {
  name: string;
  /** A RoutedRequest, an immediate answer (e.g. bad credentials, recorded as is), or undefined if not ours. */
  route(input: HttpInput, world: World): RoutedRequest | undefined;
  /** Read-only views under `/_sandbox/<key>` for tests and the demo. */
  inspect?: Record<string, (world: World, query: URLSearchParams) => unknown>;
  /**
   * Changes to the emulator's behaviour at runtime under `/_sandbox/<route>` (tests and the demo take a
   * site down); undefined when the route is not its own.
   */
  control?(route: string, input: HttpInput, world: World): HttpOutput | undefined;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpOutput {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
