/**
 * vigil.config.yaml: accounts, scope and integrations. Strict: an unknown key is an error, because a
 * misspelt `filter:` must not silently widen what Vigil looks at (Cloud Custodian #9153).
 */
import { z } from 'zod';
import { parseDuration } from '../core/clock.js';
import { clusterConfigSchema } from './cluster.js';
import { SEVERITIES } from '../core/results.js';
import { probesConfigSchema } from '../incidents/probes.js';
import { slaPolicySchema } from '../incidents/sla.js';
import { INCIDENT_SEVERITIES } from '../incidents/types.js';

const accountId = z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id');
const region = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'expected an AWS region name such as us-east-1');
const roleArn = z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:role\/.+$/, 'expected a role ARN such as arn:aws:iam::123456789012:role/VigilAudit');
const url = z.string().regex(/^https?:\/\/[^\s]+$/, 'expected an http(s) URL');
const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a positive duration (e.g. 30s, 15m, 4h, 14d)` });
    return z.NEVER;
  }
  return ms;
});

export const incidentsConfigSchema = z.strictObject({
  /** Severity rules for automatic signals (strict YAML, relative to this file); the built-in rules when absent. */
  rulesFile: z.string().min(1).optional(),
  /** The severity table (every severity listed); the seeds' table when absent. */
  sla: slaPolicySchema.optional(),
  /** A cleared signal's incident resolves by rule once the signal stays clear this long. */
  autoResolveAfter: duration.prefault('30m'),
  /** Keep status-page posts as drafts until a person runs `vigil incident approve`. */
  statuspageApproval: z.boolean().default(false),
  /** Failing checks of these severities raise signals (one per check); GuardDuty and CloudTrail always do. */
  raiseFromChecks: z.array(z.enum(SEVERITIES)).default(['critical']),
  /** Where this repository's runbooks are published, so pages and messages link to them. */
  runbookBaseUrl: url.optional(),
  delivery: z
    .strictObject({
      /** The first retry after a 429 or 5xx; doubles each time. Retry-After wins when longer. */
      initialBackoff: duration.prefault('5s'),
      maxBackoff: duration.prefault('15m'),
    })
    .prefault({}),
});

const pagerdutySeverity = z.enum(['critical', 'error', 'warning', 'info', 'none']);
const statuspageImpact = z.enum(['none', 'minor', 'major', 'critical']);
const statuspageComponentStatus = z.enum(['operational', 'degraded_performance', 'partial_outage', 'major_outage']);
const slackMention = z
  .string()
  .regex(/^(<(!here|!channel|!everyone|!subteam\^[A-Z0-9]+(\|[^>]*)?|@[UW][A-Z0-9]+)>\s*)+$/, 'expected Slack mention syntax such as <!here>, <!subteam^S0123ABCD> or <@U0123ABCD>');
const timeoutMs = z.number().int().min(100).max(120_000).default(10_000);

/** Tags that must all match; a list of values means any of them. `{ env: production }`. */
export const tagSelectorSchema = z.record(z.string().min(1), z.union([z.string(), z.array(z.string()).min(1)]));
export type TagSelector = z.output<typeof tagSelectorSchema>;

/**
 * One line of the statement of applicability. The control's existence is checked against the framework
 * file where the report is built (src/evidence/applicability.ts): the schema reads no files.
 */
export const applicabilitySchema = z
  .strictObject({
    control: z.string().regex(/^A\.[5-8]\.\d{1,2}$/, 'expected an ISO/IEC 27001:2022 Annex A control such as A.7.1'),
    applicable: z.boolean(),
    /** Why; required when the control does not apply, since an auditor will ask. */
    justification: z.string().trim().min(1).optional(),
  })
  .refine((a) => a.applicable || a.justification !== undefined, { message: 'say why the control does not apply (justification)', path: ['justification'] });
export type ApplicabilityStatement = z.output<typeof applicabilitySchema>;

export const accountConfigSchema = z.strictObject({
  id: accountId,
  name: z.string().min(1),
  /** Role Vigil assumes in the account; omit to use the base credentials as they are. */
  roleArn: roleArn.optional(),
  externalId: z.string().min(2).optional(),
  regions: z.array(region).min(1),
  /** Where the disaster-recovery copies live and where recovery must be possible. */
  drRegion: region.optional(),
});
export type AccountConfig = z.output<typeof accountConfigSchema>;

/**
 * The rate-limit scopes Vigil paces, each per account and region (IAM and Organizations per account):
 * a service whose read calls share one bucket, or one API with its own limit. The published defaults,
 * with their sources, are in src/adapters/aws/rate-limits.ts.
 */
export const RATE_LIMIT_SCOPES = ['ec2', 'rds', 'cloudtrail', 'cloudtrail:LookupEvents', 'guardduty', 'iam', 's3', 'organizations', 'sts'] as const;
export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number];
const rateLimitSchema = z.strictObject({
  ratePerSecond: z.number().positive().max(10_000),
  burst: z.number().int().min(1).max(10_000),
});

/**
 * Accounts found through AWS Organizations (ListAccounts from the management account, or from the
 * role named by `managementRoleArn`). Explicit `accounts:` entries may sit alongside: an account listed
 * there is scanned with its own settings (role, regions, DR region) and is never dropped by `include`
 * or `exclude`, which apply to discovered accounts only; every other active account of the
 * organization is scanned with the settings below. An account that Organizations reports as
 * suspended or closed gets `error` results, listed or not.
 */
/** An account id, an organizational unit id (`ou-...`, all accounts beneath it, nested units too) or the root (`r-...`). */
const organizationMember = z
  .string()
  .regex(/^(\d{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/, 'expected a 12-digit account id, an organizational unit id such as ou-ab12-cd34ef56, or a root id such as r-ab12');

export const organizationConfigSchema = z.strictObject({
  discover: z.literal(true),
  /** The role Vigil assumes in each discovered account: a name, or a path and name (`audit/VigilAudit`). */
  roleName: z.string().regex(/^([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/, 'expected a role name such as VigilAudit').default('VigilAudit'),
  externalId: z.string().min(2).optional(),
  /** A role to assume for ListAccounts (the management or a delegated administrator account); the base credentials when absent. */
  managementRoleArn: roleArn.optional(),
  /** Only these accounts, or the accounts under these organizational units or root (all of the organization when absent). */
  include: z.array(organizationMember).min(1).optional(),
  /** Never these accounts, nor any account under these organizational units. */
  exclude: z.array(organizationMember).default([]),
  /** The regions to scan in each account, or `enabled`: the regions each account has enabled (EC2 DescribeRegions). */
  regions: z.union([z.literal('enabled'), z.array(region).min(1)]),
  drRegion: region.optional(),
});
export type OrganizationConfig = z.output<typeof organizationConfigSchema>;

/**
 * `postgres://user:password@host:5432/database`, with `?sslmode=verify-full&sslrootcert=/path/ca.pem` for
 * TLS; or a Vault reference whose secret is such a URL, so the password stays out of the config.
 */
const postgresUrl = z
  .string()
  .refine((v) => v.startsWith('vault:') || /^postgres(ql)?:\/\/\S+$/.test(v), 'expected a PostgreSQL URL such as postgres://vigil:PASSWORD@db.example.com:5432/vigil, or a Vault reference such as vault:secret/data/vigil#store_url');

export const storeConfigSchema = z.strictObject({
  postgres: z
    .strictObject({
      url: postgresUrl,
      /** Connections each Vigil process keeps open. */
      poolSize: z.number().int().min(1).max(100).default(10),
    })
    .optional(),
});
export type StoreConfig = z.output<typeof storeConfigSchema>;

export const configSchema = z
  .strictObject({
    version: z.literal(1),
    /** Where the state store lives; `--data-dir` and VIGIL_DATA_DIR override it. */
    dataDir: z.string().optional(),
    /** The state store: the SQLite file in the data directory when absent, or PostgreSQL (several replicas share one). */
    store: storeConfigSchema.prefault({}),
    aws: z
      .strictObject({
        /** A named profile from the shared config files; AWS_PROFILE works as well. */
        profile: z.string().optional(),
        /** The region for global services and STS. */
        defaultRegion: region.default('us-east-1'),
        /** Path-style S3 addressing, which S3-compatible endpoints need. Defaults to on when an endpoint override is set. */
        s3ForcePathStyle: z.boolean().optional(),
        connectTimeoutMs: z.number().int().min(100).max(60_000).default(3_000),
        requestTimeoutMs: z.number().int().min(100).max(300_000).default(20_000),
        maxAttempts: z.number().int().min(1).max(20).default(5),
        roleSessionName: z.string().regex(/^[\w+=,.@-]{2,64}$/).default('vigil'),
        /**
         * How long one check may take in one account and region before it is reported as `error`;
         * 15 minutes when absent. A region that does not answer fails sooner, after two request timeouts.
         */
        scopeTimeoutMs: z.number().int().min(1_000).max(3_600_000).optional(),
        /** AWS calls in flight at once across all accounts and regions; 64 when absent. */
        maxInFlight: z.number().int().min(1).max(1_024).optional(),
        /** Overrides of the published rate limits, per scope (see RATE_LIMIT_SCOPES). */
        rateLimits: z
          .strictObject(Object.fromEntries(RATE_LIMIT_SCOPES.map((scope) => [scope, rateLimitSchema.optional()])) as Record<RateLimitScope, z.ZodOptional<typeof rateLimitSchema>>)
          .optional(),
      })
      .prefault({}),
    /** At least one account here, or `organization` to discover them. */
    accounts: z.array(accountConfigSchema).default([]),
    organization: organizationConfigSchema.optional(),
    scope: z
      .strictObject({
        /** A resource is in scope when it matches any include selector (all resources when empty)... */
        include: z.array(tagSelectorSchema).default([]),
        /** ...and no exclude selector. */
        exclude: z.array(tagSelectorSchema).default([]),
      })
      .prefault({}),
    drills: z
      .strictObject({
        /** Instance classes a drill may create; a drill asking for another one fails before creating anything. */
        allowedInstanceClasses: z.array(z.string().regex(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, 'expected an RDS instance class such as db.t3.medium')).min(1).default(['db.t3.micro', 'db.t3.small', 'db.t3.medium', 'db.t4g.micro', 'db.t4g.small', 'db.t4g.medium']),
        /** Drills running at once across the service; more are refused. */
        maxConcurrent: z.number().int().min(1).max(20).default(2),
        /** How often a drill polls a restore or a deletion. */
        pollIntervalSeconds: z.number().min(0.1).max(300).default(15),
        /** How long a drill waits for a restore or deletion before giving up (and tearing down). */
        maxWaitMinutes: z.number().min(1).max(1440).default(180),
        /** A running drill whose heartbeat is older than this is treated as crashed by the orphan sweep. */
        staleAfterMinutes: z.number().min(1).max(1440).default(30),
        /** CA bundle (PEM) to verify restored databases' TLS certificates, e.g. the RDS global bundle. */
        tlsCaFile: z.string().optional(),
      })
      .prefault({}),
    incidents: incidentsConfigSchema.prefault({}),
    /** `vigil serve`: where it listens and what its public status page says. */
    service: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /** The public status page's heading. */
        statusPageTitle: z.string().min(1).default('Service status'),
        /** Components shown on the status page, in order; probes' and incidents' components are added after. */
        components: z.array(z.string().min(1)).default([]),
        /** Mark the sign-in cookie Secure; turn off only when serving plain HTTP on a trusted network. */
        secureCookie: z.boolean().default(true),
        /** How long a stopping service waits for running jobs (drills tear down) before it closes. */
        shutdownGrace: duration.prefault('2m'),
        /** Several replicas on one database (src/config/cluster.ts); always on with a PostgreSQL store. */
        cluster: clusterConfigSchema.optional(),
      })
      .prefault({}),
    /** HTTP probes of the platform's public endpoints: they set status-page components and raise probe-failed signals. */
    probes: probesConfigSchema.default([]),
    /** ISO 27001 evidence: the statement of applicability (controls not listed apply). */
    evidence: z
      .strictObject({
        /**
         * The Ed25519 private key (PEM) that signs ledger checkpoints: a file path (relative to this
         * file) or a Vault reference whose secret is the PEM. Never the PEM itself: config is shared.
         */
        signingKey: z
          .string()
          .min(1)
          .refine((v) => !v.includes('-----BEGIN'), 'keep the private key in a file or in Vault (vault:secret/data/vigil#ledger_signing_key), not in the config')
          .optional(),
        /** A name for the signing key, recorded with each checkpoint; defaults to one derived from its fingerprint. */
        keyId: z.string().regex(/^[\w.:@/-]{1,64}$/, 'expected a short name such as ledger-2026').optional(),
        /** Public keys (PEM files, relative to this file, or PEM text) whose checkpoint signatures `vigil evidence verify` accepts. */
        trustedKeys: z.array(z.string().min(1)).default([]),
        applicability: z
          .array(applicabilitySchema)
          .default([])
          .superRefine((lines, ctx) => {
            const seen = new Map<string, number>();
            lines.forEach((line, index) => {
              const first = seen.get(line.control);
              if (first !== undefined) ctx.addIssue({ code: 'custom', path: [index, 'control'], message: `${line.control} is listed twice (also applicability[${first}])` });
              seen.set(line.control, index);
            });
          }),
      })
      .prefault({}),
    integrations: z
      .strictObject({
        vault: z
          .strictObject({
            /** Defaults to VAULT_ADDR. */
            address: url.optional(),
            /** Defaults to VAULT_TOKEN. */
            token: z.string().optional(),
            namespace: z.string().optional(),
            caFile: z.string().optional(),
          })
          .optional(),
        slack: z
          .strictObject({
            token: z.string().min(1),
            /** Where incidents and maintenances are posted: a channel id (`C0123ABCDE`) or name (`#incidents`). */
            channel: z.string().min(1),
            /** For Slack Enterprise Grid or a proxy; defaults to https://slack.com/api/. */
            apiUrl: url.optional(),
            /** Who an SLA warning or breach calls in its thread: `<!here>`, `<!subteam^S0123ABCD>`, `<@U0123ABCD>`. */
            mention: slackMention.optional(),
            /** Per request; Vigil's outbox retries with backoff, so a hung call must not hold it. */
            timeoutMs: timeoutMs,
          })
          .optional(),
        pagerduty: z
          .strictObject({
            routingKey: z.string().min(1),
            /** Events API host; defaults to events.pagerduty.com. */
            server: z.string().optional(),
            /** Extra CA certificate (PEM) to trust for the Events API. */
            caFile: z.string().optional(),
            /** The alert severity each incident severity pages with; `none` does not page. */
            severities: z
              .strictObject({
                sev1: pagerdutySeverity.default('critical'),
                sev2: pagerdutySeverity.default('error'),
                sev3: pagerdutySeverity.default('warning'),
                sev4: pagerdutySeverity.default('none'),
              })
              .prefault({}),
            timeoutMs: timeoutMs,
          })
          .optional(),
        statuspage: z
          .strictObject({
            apiKey: z.string().min(1),
            pageId: z.string().min(1),
            apiUrl: url.default('https://api.statuspage.io/v1'),
            /** Incident severities that appear on the public page; the others stay internal. */
            severities: z.array(z.enum(INCIDENT_SEVERITIES)).default(['sev1', 'sev2']),
            /** The impact a posted incident shows, by severity. */
            impacts: z
              .strictObject({
                sev1: statuspageImpact.default('critical'),
                sev2: statuspageImpact.default('major'),
                sev3: statuspageImpact.default('minor'),
                sev4: statuspageImpact.default('none'),
              })
              .prefault({}),
            /** The status a posted incident gives its components, by severity; `operational` again on resolve. */
            componentStatuses: z
              .strictObject({
                sev1: statuspageComponentStatus.default('major_outage'),
                sev2: statuspageComponentStatus.default('partial_outage'),
                sev3: statuspageComponentStatus.default('degraded_performance'),
                sev4: statuspageComponentStatus.default('degraded_performance'),
              })
              .prefault({}),
            timeoutMs: timeoutMs,
          })
          .optional(),
      })
      .prefault({}),
  })
  // Cross-field rules run even when other fields are wrong, so every problem is reported at once;
  // they therefore read the raw value defensively.
  .superRefine(
    (raw, ctx) => {
      const accounts = Array.isArray(raw.accounts) ? (raw.accounts as Array<Partial<AccountConfig>>) : [];
      const organization = raw.organization as Partial<OrganizationConfig> | undefined;
      // A non-list is reported by the field itself.
      if ((raw.accounts === undefined || (Array.isArray(raw.accounts) && accounts.length === 0)) && !organization) {
        ctx.addIssue({ code: 'custom', path: ['accounts'], message: 'list at least one account, or discover them with organization' });
      }
      if (organization && Array.isArray(organization.regions) && typeof organization.drRegion === 'string' && !organization.regions.includes(organization.drRegion)) {
        ctx.addIssue({ code: 'custom', path: ['organization', 'drRegion'], message: `the DR region must be one of the regions (${organization.regions.join(', ')})` });
      }
      const seen = new Map<string, number>();
      accounts.forEach((account, index) => {
        if (typeof account?.id !== 'string') return;
        const first = seen.get(account.id);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['accounts', index, 'id'], message: `duplicate account id (also accounts[${first}])` });
        seen.set(account.id, index);
        const regions = Array.isArray(account.regions) ? account.regions : [];
        if (typeof account.drRegion === 'string' && !regions.includes(account.drRegion)) {
          ctx.addIssue({ code: 'custom', path: ['accounts', index, 'drRegion'], message: `the DR region must be one of the account's regions (${regions.join(', ')})` });
        }
        if (typeof account.roleArn === 'string' && !account.roleArn.includes(`::${account.id}:`)) {
          ctx.addIssue({ code: 'custom', path: ['accounts', index, 'roleArn'], message: `the role must be in account ${account.id}` });
        }
      });
    },
    { when: () => true },
  );

export type VigilConfig = z.output<typeof configSchema>;
