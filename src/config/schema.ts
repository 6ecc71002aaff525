/**
 * vigil.config.yaml: accounts, scope and integrations. Strict: an unknown key is an error, because a
 * misspelt `filter:` must not silently widen what Vigil looks at (Cloud Custodian #9153).
 */
import { z } from 'zod';
import { parseDuration } from '../core/clock.js';
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

export const configSchema = z
  .strictObject({
    version: z.literal(1),
    /** Where the state store lives; `--data-dir` and VIGIL_DATA_DIR override it. */
    dataDir: z.string().optional(),
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
      })
      .prefault({}),
    accounts: z.array(accountConfigSchema).min(1, 'list at least one account'),
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
      })
      .prefault({}),
    /** HTTP probes of the platform's public endpoints: they set status-page components and raise probe-failed signals. */
    probes: probesConfigSchema.default([]),
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
