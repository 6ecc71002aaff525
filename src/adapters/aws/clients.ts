/**
 * The one place AWS clients are built: lazily, per account and region, with timeouts set, credentials
 * from the standard chain (AWS_PROFILE included) and AssumeRole into each account. Endpoints come from
 * the SDK's own overrides (AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>), so the same binary talks to
 * AWS or to any endpoint that speaks its protocols.
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
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { AccountConfig, VigilConfig } from '../../config/schema.js';

export type AwsSettings = VigilConfig['aws'];

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

export class AwsClients {
  private readonly handler: NodeHttpHandler;
  private readonly base: AwsCredentialIdentityProvider;
  private readonly credentials = new Map<string, AwsCredentialIdentityProvider>();
  private readonly clients = new Map<string, unknown>();

  constructor(
    private readonly settings: AwsSettings,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    // Without throwOnRequestTimeout the handler only logs a warning when requestTimeout passes and
    // keeps waiting: one hanging region would stall a whole scan.
    this.handler = new NodeHttpHandler({
      connectionTimeout: settings.connectTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      socketTimeout: settings.requestTimeoutMs,
      throwOnRequestTimeout: true,
    });
    this.base = fromNodeProviderChain(settings.profile ? { profile: settings.profile } : {});
  }

  /** The client for a service in an account (and region, for regional services). Built on first use. */
  client<S extends AwsServiceName>(service: S, account: AccountConfig | undefined, region?: string): ClientOf<S> {
    const effectiveRegion = GLOBAL.has(service) ? this.settings.defaultRegion : (region ?? this.settings.defaultRegion);
    const key = `${service}|${account?.id ?? 'base'}|${effectiveRegion}`;
    let client = this.clients.get(key) as ClientOf<S> | undefined;
    if (!client) {
      const Client = CLIENTS[service] as unknown as new (config: Record<string, unknown>) => ClientOf<S>;
      client = new Client({
        region: effectiveRegion,
        credentials: this.credentialsFor(account),
        maxAttempts: this.settings.maxAttempts,
        requestHandler: this.handler,
        ...(service === 's3' ? { forcePathStyle: this.forcePathStyle(), followRegionRedirects: true } : {}),
      });
      this.clients.set(key, client);
    }
    return client;
  }

  /** Credentials for an account: the base chain, or a cached, self-refreshing AssumeRole session. */
  credentialsFor(account: AccountConfig | undefined): AwsCredentialIdentityProvider {
    if (!account?.roleArn) return this.base;
    let provider = this.credentials.get(account.id);
    if (!provider) {
      provider = fromTemporaryCredentials({
        masterCredentials: this.base,
        params: {
          RoleArn: account.roleArn,
          RoleSessionName: this.settings.roleSessionName,
          ...(account.externalId ? { ExternalId: account.externalId } : {}),
          DurationSeconds: 3600,
        },
        clientConfig: { region: this.settings.defaultRegion, maxAttempts: this.settings.maxAttempts, requestHandler: this.handler },
      });
      this.credentials.set(account.id, provider);
    }
    return provider;
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
