/**
 * Credentials: the root user (no access keys, MFA on, not used), and each user (MFA with a console
 * password, keys rotated, nothing left unused, one active key, policies through groups). Facts come
 * from the credential report, and for the root user also from the live account summary.
 */
import { z } from 'zod';
import { fail, notApplicable, pass, type Verdict } from '../../core/results.js';
import { listSome, plural } from '../evaluators/describe.js';
import { defineEvaluator } from '../evaluator.js';
import { CouldNotLook, known, type Resource } from '../resources.js';
import { ago, daysSince, keyFacts, keyLabel, sourceFacts } from './describe.js';
import { describeSource } from './policy.js';
import { describeIdentity, describeRoot, type AccessKeyInfo, type IamRoot, type IamUser } from './resources.js';

function asRoot(resource: Resource): IamRoot {
  if (resource.kind !== 'iam-root') throw new Error(`a root user evaluator was given ${resource.kind}`);
  return resource;
}

function asUser(resource: Resource): IamUser {
  if (resource.kind !== 'iam-user') throw new Error(`an IAM user evaluator was given ${resource.kind}`);
  return resource;
}

/** `access key 1 (active, created 700 days ago, last used 10 days ago via s3 in us-east-1)`. */
function describeKey(key: AccessKeyInfo, now: Date, withStatus = true): string {
  const parts = withStatus ? [key.active ? 'active' : 'inactive'] : [];
  parts.push(key.rotatedAt ? `created ${ago(key.rotatedAt, now)}` : 'of unknown age');
  const via = key.lastUsedService ? ` via ${key.lastUsedService}${key.lastUsedRegion ? ` in ${key.lastUsedRegion}` : ''}` : '';
  parts.push(key.lastUsedAt ? `last used ${ago(key.lastUsedAt, now)}${via}` : 'never used');
  return `${keyLabel(key)} (${parts.join(', ')})`;
}

export const rootAccessKeys = defineEvaluator({
  name: 'iam-root-access-keys',
  summary: 'The root user has no access keys, active or not.',
  params: z.strictObject({}),
  subject: () => 'iam-root',
  needs: () => [],
  evaluate(resource, ctx) {
    const root = asRoot(resource);
    const name = describeRoot(root);
    const keys = root.credentials.ok ? root.credentials.value.accessKeys : undefined;
    // The summary is live; the credential report may be up to four hours old.
    const present = root.summary.ok ? root.summary.value.rootAccessKeysPresent : undefined;
    if (keys === undefined && present === undefined) {
      const reasons = [root.credentials, root.summary].flatMap((f) => (f.ok ? [] : [f.reason]));
      throw new CouldNotLook(`could not read whether it has access keys: ${reasons.join('; ')}`);
    }
    const facts = { accessKeysPresent: present, accessKeys: keys?.map(keyFacts), reportGeneratedAt: root.credentials.ok ? root.credentials.value.reportGeneratedAt.toISOString() : undefined };
    if (present === false) return pass(`${name} has no access keys.`, facts);
    if (keys && keys.length > 0) return fail(`${name} has ${keys.map((k) => describeKey(k, ctx.now)).join(' and ')}.`, facts);
    if (present) return fail(`${name} has an access key, created after the latest credential report.`, facts);
    return pass(`${name} has no access keys.`, facts);
  },
});

export const rootMfa = defineEvaluator({
  name: 'iam-root-mfa',
  summary: 'The root user has MFA enabled.',
  params: z.strictObject({}),
  subject: () => 'iam-root',
  needs: () => [],
  evaluate(resource) {
    const root = asRoot(resource);
    const name = describeRoot(root);
    const enabled = root.summary.ok ? root.summary.value.rootMfaEnabled : known(root.credentials, 'the credential report').mfaActive;
    const facts = { mfaEnabled: enabled, source: root.summary.ok ? 'GetAccountSummary' : 'credential report' };
    if (enabled) return pass(`${name} has MFA enabled.`, facts);
    // An organization can remove a member account's root credentials altogether; nothing is left to protect.
    const credentials = root.credentials.ok ? root.credentials.value : undefined;
    if (credentials && !credentials.passwordEnabled && credentials.accessKeys.length === 0) {
      return notApplicable(`${name} has no password and no access keys (root credentials removed), so there is nothing to protect with MFA.`, facts);
    }
    return fail(`${name} has no MFA device.`, facts);
  },
});

export const rootNotUsed = defineEvaluator({
  name: 'iam-root-not-used',
  summary: 'The root user has not signed in or used an access key within the last `days` days.',
  params: z.strictObject({ days: z.number().int().min(1).max(400).default(7) }),
  subject: () => 'iam-root',
  needs: () => [],
  evaluate(resource, ctx) {
    const root = asRoot(resource);
    const name = describeRoot(root);
    const credentials = known(root.credentials, 'the credential report');
    const uses = [
      ...(credentials.passwordLastUsedAt ? [{ what: 'console sign-in', at: credentials.passwordLastUsedAt }] : []),
      ...credentials.accessKeys.flatMap((k) => (k.lastUsedAt ? [{ what: keyLabel(k), at: k.lastUsedAt }] : [])),
    ].sort((a, b) => b.at.getTime() - a.at.getTime());
    const facts = {
      days: ctx.params.days,
      passwordLastUsedAt: credentials.passwordLastUsedAt?.toISOString(),
      accessKeys: credentials.accessKeys.map(keyFacts),
      reportGeneratedAt: credentials.reportGeneratedAt.toISOString(),
    };
    const recent = uses.filter((u) => daysSince(u.at, ctx.now) < ctx.params.days);
    if (recent.length > 0) {
      return fail(`${name} was used within the last ${ctx.params.days} days: ${recent.map((u) => `${u.what} ${ago(u.at, ctx.now)}`).join(', ')}.`, facts);
    }
    const last = uses[0];
    if (!last) return pass(`${name} has no recorded use.`, facts);
    return pass(`${name} was last used ${ago(last.at, ctx.now)} (${last.what}).`, facts);
  },
});

export const consoleMfa = defineEvaluator({
  name: 'iam-user-console-mfa',
  summary: 'Every user with a console password has an MFA device.',
  params: z.strictObject({}),
  subject: () => 'iam-user',
  needs: () => [],
  evaluate(resource) {
    const user = asUser(resource);
    const name = describeIdentity(user);
    const credentials = known(user.credentials, 'the credential report');
    const facts = { consolePassword: credentials.password !== undefined, mfaActive: credentials.mfaActive, passwordLastUsedAt: credentials.password?.lastUsedAt?.toISOString() };
    if (!credentials.password) return notApplicable(`${name} has no console password.`, facts);
    return credentials.mfaActive ? pass(`${name} signs in to the console with MFA.`, facts) : fail(`${name} can sign in to the console without MFA.`, facts);
  },
});

export const accessKeyAge = defineEvaluator({
  name: 'iam-access-key-age',
  summary: 'Every active access key was created or rotated within the last maxAgeDays days.',
  params: z.strictObject({ maxAgeDays: z.number().int().min(1).default(90) }),
  subject: () => 'iam-user',
  needs: () => [],
  evaluate(resource, ctx) {
    const user = asUser(resource);
    const name = describeIdentity(user);
    const active = known(user.credentials, 'the credential report').accessKeys.filter((k) => k.active);
    const facts = { maxAgeDays: ctx.params.maxAgeDays, accessKeys: active.map((k) => ({ ...keyFacts(k), ageDays: k.rotatedAt ? daysSince(k.rotatedAt, ctx.now) : undefined })) };
    if (active.length === 0) return notApplicable(`${name} has no active access keys.`, facts);
    const unknownAge = active.filter((k) => !k.rotatedAt);
    if (unknownAge.length > 0) throw new CouldNotLook(`the credential report gives no creation date for ${unknownAge.map(keyLabel).join(', ')}`);
    const old = active.filter((k) => daysSince(k.rotatedAt as Date, ctx.now) > ctx.params.maxAgeDays);
    const describe = (k: AccessKeyInfo) => `${keyLabel(k)} (${daysSince(k.rotatedAt as Date, ctx.now)} days)`;
    if (old.length > 0) return fail(`${name} has ${plural(old.length, 'active access key')} older than ${ctx.params.maxAgeDays} days: ${old.map(describe).join(', ')}.`, facts);
    return pass(`${name}'s active access keys are at most ${ctx.params.maxAgeDays} days old: ${active.map(describe).join(', ')}.`, facts);
  },
});

export const unusedCredentials = defineEvaluator({
  name: 'iam-unused-credentials',
  summary: 'Every console password and active access key was used within the last maxUnusedDays days.',
  params: z.strictObject({ maxUnusedDays: z.number().int().min(1).default(45) }),
  subject: () => 'iam-user',
  needs: () => [],
  evaluate(resource, ctx) {
    const user = asUser(resource);
    const name = describeIdentity(user);
    const credentials = known(user.credentials, 'the credential report');
    const limit = ctx.params.maxUnusedDays;
    // A credential never used is judged from when it was set: a fresh one has not had the chance yet.
    const judged = [
      ...(credentials.password ? [{ what: 'console password', lastUsedAt: credentials.password.lastUsedAt, since: credentials.password.lastChangedAt ?? user.createdAt }] : []),
      ...credentials.accessKeys.filter((k) => k.active).map((k) => ({ what: keyLabel(k), lastUsedAt: k.lastUsedAt, since: k.rotatedAt ?? user.createdAt })),
    ];
    const facts = {
      maxUnusedDays: limit,
      credentials: judged.map((c) => ({ credential: c.what, lastUsedAt: c.lastUsedAt?.toISOString(), setAt: c.since.toISOString() })),
    };
    if (judged.length === 0) return notApplicable(`${name} has no console password and no active access keys.`, facts);
    const unused = judged.filter((c) => daysSince(c.lastUsedAt ?? c.since, ctx.now) > limit);
    const describe = (c: (typeof judged)[number]) => (c.lastUsedAt ? `${c.what} last used ${ago(c.lastUsedAt, ctx.now)}` : `${c.what} never used, set ${ago(c.since, ctx.now)}`);
    if (unused.length > 0) return fail(`${name} has credentials unused for more than ${limit} days: ${unused.map(describe).join(', ')}.`, facts);
    return pass(`${name} used each of its credentials within the last ${limit} days.`, facts);
  },
});

export const singleActiveKey = defineEvaluator({
  name: 'iam-single-active-key',
  summary: 'No user has two active access keys.',
  params: z.strictObject({}),
  subject: () => 'iam-user',
  needs: () => [],
  evaluate(resource, ctx) {
    const user = asUser(resource);
    const name = describeIdentity(user);
    const active = known(user.credentials, 'the credential report').accessKeys.filter((k) => k.active);
    const facts = { activeKeys: active.map(keyFacts) };
    if (active.length === 0) return notApplicable(`${name} has no active access keys.`, facts);
    if (active.length === 1) return pass(`${name} has 1 active access key.`, facts);
    return fail(`${name} has ${active.length} active access keys: ${active.map((k) => describeKey(k, ctx.now, false)).join(', ')}.`, facts);
  },
});

export const noDirectPolicies = defineEvaluator({
  name: 'iam-no-direct-policies',
  summary: 'Users get their permissions through groups (or roles), not policies attached to the user.',
  params: z.strictObject({}),
  subject: () => 'iam-user',
  needs: () => [],
  evaluate(resource): Verdict {
    const user = asUser(resource);
    const name = describeIdentity(user);
    const facts = { groups: user.groups, directPolicies: user.directPolicies.map(sourceFacts) };
    if (user.directPolicies.length === 0) return pass(`${name} has no policies attached directly${user.groups.length ? ` (groups: ${user.groups.join(', ')})` : ''}.`, facts);
    return fail(`${name} has ${plural(user.directPolicies.length, 'policy', 'policies')} attached directly instead of through a group: ${listSome(user.directPolicies.map(describeSource))}.`, facts);
  },
});

export const CREDENTIAL_EVALUATORS = [rootAccessKeys, rootMfa, rootNotUsed, consoleMfa, accessKeyAge, unusedCredentials, singleActiveKey, noDirectPolicies];
