/**
 * The one place AWS clients are built: lazily, per account and region, with timeouts set, credentials
 * from the standard chain (AWS_PROFILE included) and AssumeRole into each account. Endpoints come from
 * the SDK's own overrides (AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>), so the same binary talks to
 * AWS or to any endpoint that speaks its protocols. Every client carries the pacing middleware
 * (pacing.ts): calls built only shortly before their turn, one pacer per rate-limit scope, a global cap
 * on calls in flight, and no more calls to a service that stopped answering in an account and region.
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { EC2Client } from '@aws-sdk/client-ec2';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Logger, MiddlewareStack } from '@smithy/types';
import type { AccountConfig, VigilConfig } from '../../config/schema.js';
import type { ExternalServiceError } from '../../core/errors.js';
import { toExternalError } from './errors.js';
import { Pacer, systemPacerClock, type PacerClock } from './pacer.js';
import {
  ADMISSION_MIDDLEWARE_OPTIONS,
  admissionMiddleware,
  PACING_MIDDLEWARE_OPTIONS,
  pacingMiddleware,
  ScopeHealth,
  type PacingDeps,
} from './pacing.js';
import { rateLimits } from './rate-limits.js';
import { SessionSignatureV4 } from './signer.js';

export type AwsSettings = VigilConfig['aws'];

export interface AwsClientsOptions {
  /** The clock pacing and the not-answering cooldown run on; tests inject a virtual one. */
  clock?: PacerClock;
}

export const DEFAULT_MAX_IN_FLIGHT = 64;
/** Role sessions are renewed this long before they expire, as the SDK itself does. */
const CREDENTIAL_REFRESH_MS = 5 * 60_000;
/** A refused AssumeRole is not asked again for this long: a denied account would otherwise cost one per call. */
const DENIED_COOLDOWN_MS = 60_000;

/**
 * What the SDK logs through: nothing, as with its default NoOpLogger, but without `info`. The SDK's
 * logger middleware builds every answer's sensitive-field-filtered copy for `logger?.info?.(...)`, a
 * walk of the whole output against its schema, whether or not the logger writes anything (about 5 % of
 * a large scan's CPU); the SDK only ever calls `info` that way. The name keeps the SDK's "not a real
 * logger" test true, so its few console warnings (a waiter polling into 403s) still reach the console.
 */
class SdkNoOpLogger {
  trace(): void {}
  debug(): void {}
  warn(): void {}
  error(): void {}
}
const SDK_LOGGER = new SdkNoOpLogger() as unknown as Logger;

const CLIENTS = {
  cloudtrail: CloudTrailClient,
  ec2: EC2Client,
  guardduty: GuardDutyClient,
  iam: IAMClient,
  organizations: OrganizationsClient,
  rds: RDSClient,
  s3: S3Client,
  sts: STSClient,
} as const;
export type AwsServiceName = keyof typeof CLIENTS;
type ClientOf<S extends AwsServiceName> = InstanceType<(typeof CLIENTS)[S]>;

/** Services whose API is global: one client per account, signed for the default region. */
const GLOBAL: ReadonlySet<AwsServiceName> = new Set(['iam', 'organizations']);

/** Deletes what a map remembers of one account: its keys start `<account id>|`. */
export function forgetAccount(map: Map<string, unknown>, accountId: string): void {
  for (const key of map.keys()) if (key.startsWith(`${accountId}|`)) map.delete(key);
}

export class AwsClients {
  private readonly handler: NodeHttpHandler;
  private readonly base: AwsCredentialIdentityProvider;
  private readonly credentials = new Map<string, AwsCredentialIdentityProvider>();
  private readonly clients = new Map<string, unknown>();
  private readonly clock: PacerClock;
  /** Shared by every client: the rate-limit buckets and the in-flight cap span all accounts and regions. */
  readonly pacer: Pacer;
  readonly health: ScopeHealth;
  private readonly pacing: PacingDeps;

  constructor(
    private readonly settings: AwsSettings,
    private readonly env: NodeJS.ProcessEnv = process.env,
    options: AwsClientsOptions = {},
  ) {
    this.clock = options.clock ?? systemPacerClock;
    this.pacer = new Pacer({ maxInFlight: settings.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, clock: this.clock });
    this.health = new ScopeHealth({ clock: this.clock, requestTimeoutMs: settings.requestTimeoutMs });
    this.pacing = { pacer: this.pacer, limits: rateLimits(settings.rateLimits), health: this.health };
    // Without throwOnRequestTimeout the handler only logs a warning when requestTimeout passes and
    // keeps waiting: one hanging region would stall a whole scan. A call the pacer let through must
    // leave at once: the agent's default of 50 sockets per host would queue some of the calls in
    // flight (every call goes to one host behind a proxy or a VPC endpoint) and send them in a burst.
    const maxSockets = settings.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.handler = new NodeHttpHandler({
      connectionTimeout: settings.connectTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      socketTimeout: settings.requestTimeoutMs,
      throwOnRequestTimeout: true,
      httpAgent: { maxSockets },
      httpsAgent: { maxSockets },
    });
    this.base = fromNodeProviderChain(settings.profile ? { profile: settings.profile } : {});
  }

  /** The client for a service in an account (and region, for regional services). Built on first use. */
  client<S extends AwsServiceName>(service: S, account: AccountConfig | undefined, region?: string): ClientOf<S> {
    const effectiveRegion = GLOBAL.has(service) ? this.settings.defaultRegion : (region ?? this.settings.defaultRegion);
    // The role is part of the key: discovery may reach an account through another role than the scan.
    const key = `${service}|${account?.id ?? 'base'}|${account?.roleArn ?? ''}|${effectiveRegion}`;
    let client = this.clients.get(key) as ClientOf<S> | undefined;
    if (!client) {
      const Client = CLIENTS[service] as unknown as new (config: Record<string, unknown>) => ClientOf<S>;
      const credentials = this.credentialsFor(account);
      client = new Client({
        region: effectiveRegion,
        credentials,
        maxAttempts: this.settings.maxAttempts,
        requestHandler: this.handler,
        logger: SDK_LOGGER,
        // The SDK's handler cache (one middleware chain per command, not one built and sorted per call,
        // some 15 % of a call's CPU) shares one execution context among a command's calls, and signing
        // keys are kept per role session (signer.ts). Neither for S3: its region redirects and bucket
        // endpoints are written into that context per call, and it signs with its own multi-region signer.
        ...(service === 's3' ? { forcePathStyle: this.forcePathStyle(), followRegionRedirects: true } : { cacheMiddleware: true, signerConstructor: SessionSignatureV4 }),
      });
      const stack = (client as unknown as { middlewareStack: MiddlewareStack<object, object> }).middlewareStack;
      const scope = { service, account: account?.id, region: effectiveRegion };
      stack.add(admissionMiddleware(this.pacing, scope), ADMISSION_MIDDLEWARE_OPTIONS);
      stack.addRelativeTo(pacingMiddleware(this.pacing, scope, credentials), PACING_MIDDLEWARE_OPTIONS);
      this.clients.set(key, client);
    }
    return client;
  }

  /**
   * Credentials for an account: the base chain, or an AssumeRole session shared by every client of the
   * account (one AssumeRole per account, renewed before it expires, rather than one per client). A
   * refusal is typed as sts:AssumeRole and remembered for a minute.
   */
  credentialsFor(account: AccountConfig | undefined): AwsCredentialIdentityProvider {
    if (!account?.roleArn) return this.base;
    const key = `${account.id}|${account.roleArn}|${account.externalId ?? ''}`;
    let provider = this.credentials.get(key);
    if (!provider) {
      provider = this.sharedSession(account, account.roleArn);
      this.credentials.set(key, provider);
    }
    return provider;
  }

  private sharedSession(account: AccountConfig, roleArn: string): AwsCredentialIdentityProvider {
    const assume = fromTemporaryCredentials({
      masterCredentials: this.base,
      params: {
        RoleArn: roleArn,
        RoleSessionName: this.settings.roleSessionName,
        ...(account.externalId ? { ExternalId: account.externalId } : {}),
        DurationSeconds: 3600,
      },
      clientConfig: { region: this.settings.defaultRegion, maxAttempts: this.settings.maxAttempts, requestHandler: this.handler, logger: SDK_LOGGER },
    });
    let session: Promise<AwsCredentialIdentity> | undefined;
    let expiresAt = Infinity;
    let denied: { error: ExternalServiceError; until: number } | undefined;
    return async () => {
      if (denied && this.clock.now() < denied.until) throw denied.error;
      if (!session || expiresAt - CREDENTIAL_REFRESH_MS <= Date.now()) {
        expiresAt = Infinity;
        const current = assume().then(
          (identity) => {
            expiresAt = identity.expiration?.getTime() ?? Infinity;
            return identity;
          },
          (err: unknown) => {
            const error = toExternalError(err, { service: 'sts', operation: 'AssumeRole', account: account.id });
            if (session === current) session = undefined;
            if (error.kind === 'access_denied') denied = { error, until: this.clock.now() + DENIED_COOLDOWN_MS };
            throw error;
          },
        );
        session = current;
      }
      return session;
    };
  }

  /**
   * Forgets an account's clients and role session once its scan is done: memory follows the accounts
   * being scanned, not the estate (500 accounts hold some 15,000 clients). The shared HTTP handler is
   * not touched; an account asked for again gets new clients and a new session.
   */
  release(accountId: string): void {
    for (const key of this.clients.keys()) if (key.split('|')[1] === accountId) this.clients.delete(key);
    forgetAccount(this.credentials, accountId);
  }

  private forcePathStyle(): boolean {
    return this.settings.s3ForcePathStyle ?? Boolean(this.env['AWS_ENDPOINT_URL'] ?? this.env['AWS_ENDPOINT_URL_S3']);
  }

  destroy(): void {
    for (const client of this.clients.values()) (client as { destroy(): void }).destroy();
    this.clients.clear();
    this.handler.destroy();
  }
}
