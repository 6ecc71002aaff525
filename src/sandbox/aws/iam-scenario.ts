/**
 * The `iam:` part of an account in the scenario YAML: the root user, users, groups, roles and customer
 * managed policies, with ages relative to the world clock. Every field is optional so `{}` is valid.
 */
import { z } from 'zod';
import { durationSchema, tagsSchema } from '../scenario-types.js';
import { findAwsManagedPolicy, AWS_MANAGED_POLICIES } from './iam-managed-policies.js';

/** IAM names: users, groups, roles, policies. */
const nameSchema = z.string().regex(/^[\w+=,.@-]{1,128}$/, 'expected an IAM name (letters, digits and +=,.@_-)');
const pathSchema = z.string().regex(/^\/([\x21-\x7e]*\/)?$/, 'expected an IAM path such as / or /ops/');

/** An age such as `3d`, or `never`. */
const ageOrNever = z.union([z.literal('never'), durationSchema]);

/** A policy document: an object (stored as JSON), or raw text, which may plant a document that is not valid JSON. */
export const policyDocumentScenario = z.union([z.string(), z.record(z.string(), z.unknown())]);
export type PolicyDocumentScenario = z.output<typeof policyDocumentScenario>;

/** Managed policies by name (customer policies of this account first, then AWS's) or by ARN. */
const attachedSchema = z.array(z.string().min(1)).default([]);
const inlineSchema = z.record(nameSchema, policyDocumentScenario).default({});
/** Service namespace (`s3`, `ec2`) -> how long ago the identity last used it, or `never`. */
const lastAccessedSchema = z.record(z.string().regex(/^[a-z0-9-]+$/, 'expected a service namespace such as s3'), ageOrNever).default({});

const accessKeyScenario = z.strictObject({
  /** Fixed id so a test or the demo can sign with the key; derived from the owner's name when omitted. */
  accessKeyId: z.string().regex(/^AKIA[A-Z0-9]{12,16}$/, 'expected an access key id such as AKIAIOSFODNN7EXAMPLE').optional(),
  secretAccessKey: z.string().min(8).optional(),
  /** How long ago the key was created (last rotated); defaults to the owner's creation. */
  age: durationSchema.optional(),
  active: z.boolean().default(true),
  lastUsed: z
    .union([
      z.literal('never'),
      z.strictObject({ age: durationSchema, service: z.string().default('sts'), region: z.string().default('us-east-1') }),
    ])
    .default('never'),
});
export type AccessKeyScenario = z.output<typeof accessKeyScenario>;

/** `true` is a virtual MFA device, the one AWS's console creates. */
const mfaSchema = z.union([z.boolean(), z.enum(['virtual', 'hardware'])]).default(false);

const consoleScenario = z.strictObject({
  /** How long ago the password was set; defaults to the user's creation. */
  passwordAge: durationSchema.optional(),
  lastUsed: ageOrNever.default('never'),
  resetRequired: z.boolean().default(false),
});
export type ConsoleScenario = z.output<typeof consoleScenario>;

const userScenario = z.strictObject({
  name: nameSchema,
  path: pathSchema.default('/'),
  age: durationSchema.prefault('400d'),
  groups: z.array(nameSchema).default([]),
  /** A console password: `true`, or its age and last use. */
  console: z.union([z.boolean(), consoleScenario]).default(false),
  mfa: mfaSchema,
  accessKeys: z.array(accessKeyScenario).max(2, 'AWS allows at most 2 access keys per user').default([]),
  attached: attachedSchema,
  inline: inlineSchema,
  /** Actions this user's access keys are denied: the sandbox answers AccessDenied. */
  denyActions: z.array(z.string()).default([]),
  lastAccessed: lastAccessedSchema,
  tags: tagsSchema.default({}),
});
export type UserScenario = z.output<typeof userScenario>;

const groupScenario = z.strictObject({
  name: nameSchema,
  path: pathSchema.default('/'),
  age: durationSchema.prefault('600d'),
  attached: attachedSchema,
  inline: inlineSchema,
});
export type GroupScenario = z.output<typeof groupScenario>;

const roleScenario = z.strictObject({
  name: nameSchema,
  path: pathSchema.default('/'),
  description: z.string().optional(),
  age: durationSchema.prefault('300d'),
  /** Accounts whose principals may assume the role: generates the trust policy unless `trustPolicy` is given. */
  trustedAccounts: z.array(z.string()).default([]),
  /** When set, the generated trust policy requires this external id. */
  externalId: z.string().optional(),
  /** The AssumeRolePolicyDocument itself; STS evaluates it. */
  trustPolicy: policyDocumentScenario.optional(),
  /** Actions the role's sessions are denied: the sandbox answers AccessDenied. */
  denyActions: z.array(z.string()).default([]),
  attached: attachedSchema,
  inline: inlineSchema,
  /** When a session last used the role: an age, `{ age, region }`, or `never`. */
  lastUsed: z.union([ageOrNever, z.strictObject({ age: durationSchema, region: z.string().default('us-east-1') })]).default('never'),
  maxSessionDuration: z.number().int().min(3600).max(43_200).default(3600),
  lastAccessed: lastAccessedSchema,
  tags: tagsSchema.default({}),
});
export type RoleScenario = z.output<typeof roleScenario>;

const policyVersionScenario = z.strictObject({
  document: policyDocumentScenario,
  /** The version IAM evaluates; when no version says so, the last one is the default. */
  isDefault: z.boolean().optional(),
  age: durationSchema.optional(),
});

const policyScenario = z
  .strictObject({
    name: nameSchema,
    path: pathSchema.default('/'),
    description: z.string().optional(),
    age: durationSchema.prefault('200d'),
    /** A single-version policy; use `versions` for several. */
    document: policyDocumentScenario.optional(),
    versions: z.array(policyVersionScenario).min(1).max(5, 'AWS keeps at most 5 versions of a policy').optional(),
  })
  .superRefine((policy, ctx) => {
    if ((policy.document === undefined) === (policy.versions === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['document'], message: 'give exactly one of document or versions' });
    }
    if ((policy.versions ?? []).filter((v) => v.isDefault).length > 1) {
      ctx.addIssue({ code: 'custom', path: ['versions'], message: 'at most one version can be the default' });
    }
  });
export type PolicyScenario = z.output<typeof policyScenario>;

const rootScenario = z.strictObject({
  mfa: mfaSchema,
  /** Root access keys: AWS advises having none. */
  accessKeys: z.array(accessKeyScenario).max(2).default([]),
  passwordLastUsed: ageOrNever.default('never'),
});
export type RootScenario = z.output<typeof rootScenario>;

export const iamAccountScenario = z
  .strictObject({
    root: rootScenario.prefault({}),
    users: z.array(userScenario).default([]),
    groups: z.array(groupScenario).default([]),
    roles: z.array(roleScenario).default([]),
    policies: z.array(policyScenario).default([]),
    aliases: z.array(z.string().regex(/^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$/, 'expected an account alias')).max(1).default([]),
  })
  .superRefine((iam, ctx) => {
    duplicates(iam.users.map((u) => u.name), 'users', ctx);
    duplicates(iam.groups.map((g) => g.name), 'groups', ctx);
    duplicates(iam.roles.map((r) => r.name), 'roles', ctx);
    duplicates(iam.policies.map((p) => p.name), 'policies', ctx);
    const groups = new Set(iam.groups.map((g) => g.name));
    const local = new Set(iam.policies.map((p) => p.name));
    iam.users.forEach((user, u) => {
      user.groups.forEach((group, g) => {
        if (!groups.has(group)) ctx.addIssue({ code: 'custom', path: ['users', u, 'groups', g], message: `no group named ${group} under iam.groups` });
      });
    });
    const entities = [['users', iam.users], ['groups', iam.groups], ['roles', iam.roles]] as const;
    for (const [kind, list] of entities) {
      list.forEach((entity, e) =>
        entity.attached.forEach((ref, a) => {
          const problem = attachmentProblem(ref, local);
          if (problem) ctx.addIssue({ code: 'custom', path: [kind, e, 'attached', a], message: problem });
        }),
      );
    }
  });
export type IamAccountScenario = z.output<typeof iamAccountScenario>;

function duplicates(names: string[], kind: string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    // IAM names are unique case-insensitively.
    const key = name.toLowerCase();
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [kind, i, 'name'], message: `duplicate name ${name}` });
    seen.add(key);
  });
}

const LOCAL_POLICY_ARN = /^arn:aws:iam::\d{12}:policy\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]+)$/;

function attachmentProblem(ref: string, local: Set<string>): string | undefined {
  const known = `known AWS managed policies: ${AWS_MANAGED_POLICIES.map((p) => p.name).join(', ')}`;
  if (ref.startsWith('arn:aws:iam::aws:')) return findAwsManagedPolicy(ref) ? undefined : `the sandbox has no AWS managed policy ${ref}; ${known}`;
  const match = LOCAL_POLICY_ARN.exec(ref);
  if (match) return local.has(match[1] as string) ? undefined : `no customer managed policy named ${match[1]} under iam.policies`;
  if (ref.startsWith('arn:')) return `not a managed policy ARN: ${ref}`;
  if (local.has(ref) || findAwsManagedPolicy(ref)) return undefined;
  return `no customer managed policy named ${ref} under iam.policies, and no AWS managed policy of that name; ${known}`;
}
