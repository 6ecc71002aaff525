/**
 * Attestations and waivers: what a person adds to the evidence. An attestation covers a control no
 * automation can prove (a policy, training, a locked door) and records the file it rests on by hash;
 * the file stays with its owner. A waiver accepts a failing check result for a while, with a reason and
 * an expiry no more than a year ahead, so an exception is always a decision with an end.
 */
import { createReadStream, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { Clock } from '../core/clock.js';
import { ConfigError, type Problem } from '../core/errors.js';
import type { EvidenceStore, StoredWaiver } from '../store/evidence-types.js';
import { dateFlag, oneYearAfter } from './dates.js';
import type { Attestation } from './report-model.js';

export interface AttestationInput {
  control?: string;
  file?: string;
  owner?: string;
  reason?: string;
  expires?: string;
}

export interface WaiverInput {
  checkId?: string;
  resource?: string;
  until?: string;
  reason?: string;
}

interface Context {
  clock: Clock;
  actor: string;
}

function flag(name: string, message: string): Problem {
  return { file: `argument ${name}`, path: '', message };
}

function required(value: string | undefined, name: string, why: string): Problem[] {
  return value?.trim() ? [] : [flag(name, why)];
}

/** SHA-256 and size of a file, read as a stream (policy PDFs can be large). */
export async function fingerprintFile(path: string): Promise<{ name: string; sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { name: basename(path), sha256: hash.digest('hex'), bytes };
}

function fileProblem(path: string): Problem | undefined {
  try {
    if (!statSync(path).isFile()) return flag('--file', `${path} is not a file`);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return flag('--file', code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path} (${code ?? String(err)})`);
  }
}

/** Every problem with an attestation at once; the control must be one of the framework's. */
export function attestationProblems(input: AttestationInput, controls: ReadonlySet<string>, now: Date): Problem[] {
  const problems: Problem[] = [];
  const control = input.control?.trim();
  if (!control) problems.push(flag('--control', 'name the Annex A control, such as A.5.1'));
  else if (!controls.has(control)) problems.push(flag('--control', `unknown control "${control}"; the framework's controls are A.5.1-A.5.37, A.6.1-A.6.8, A.7.1-A.7.14 and A.8.1-A.8.34`));
  problems.push(...required(input.owner, '--owner', 'name who owns the attested control or document'));
  problems.push(...required(input.reason, '--reason', 'say what is attested; it is recorded with your name'));
  if (input.file !== undefined) {
    const problem = fileProblem(input.file);
    if (problem) problems.push(problem);
  }
  if (input.expires !== undefined) {
    const { date, problems: dateProblems } = dateFlag(input.expires, '--expires');
    problems.push(...dateProblems);
    if (date && date.end.getTime() <= now.getTime()) problems.push(flag('--expires', `${input.expires} is not in the future`));
  }
  return problems;
}

export async function attest(store: EvidenceStore, input: AttestationInput, controls: ReadonlySet<string>, ctx: Context): Promise<Attestation> {
  const now = ctx.clock.now();
  const problems = attestationProblems(input, controls, now);
  if (problems.length > 0) throw new ConfigError(problems);
  const file = input.file === undefined ? undefined : await fingerprintFile(input.file);
  const expires = input.expires === undefined ? undefined : dateFlag(input.expires, '--expires').date?.end.toISOString();
  return store.createAttestation({
    control: (input.control as string).trim(),
    owner: (input.owner as string).trim(),
    reason: (input.reason as string).trim(),
    ...(file ? { file } : {}),
    at: now.toISOString(),
    actor: ctx.actor,
    ...(expires ? { expiresAt: expires } : {}),
  });
}

/** Every problem with a waiver at once: a known check, a resource, a reason, an expiry within a year. */
export function waiverProblems(input: WaiverInput, checks: ReadonlySet<string>, now: Date): Problem[] {
  const problems: Problem[] = [];
  const checkId = input.checkId?.trim();
  if (!checkId) problems.push(flag('--check', 'name the check whose failing result is accepted'));
  else if (!checks.has(checkId)) problems.push(flag('--check', `unknown check "${checkId}"; \`vigil check list\` shows them`));
  problems.push(...required(input.resource, '--resource', 'name the resource (its ARN or id), or * for every resource of the check'));
  problems.push(...required(input.reason, '--reason', 'say why the failure is accepted; an exception without a reason is not one'));
  if (input.until === undefined || input.until.trim() === '') {
    problems.push(flag('--until', 'required: every exception ends; give a date within a year, such as 2025-06-30'));
  } else {
    const { date, problems: dateProblems } = dateFlag(input.until, '--until');
    problems.push(...dateProblems);
    const limit = oneYearAfter(now);
    if (date && date.end.getTime() <= now.getTime()) problems.push(flag('--until', `${input.until} is not in the future`));
    else if (date && date.start.getTime() > limit.getTime()) problems.push(flag('--until', `${input.until} is more than a year ahead (at most ${limit.toISOString().slice(0, 10)}); renew the waiver when it ends instead`));
  }
  return problems;
}

export async function waive(store: EvidenceStore, input: WaiverInput, checks: ReadonlySet<string>, ctx: Context): Promise<StoredWaiver> {
  const now = ctx.clock.now();
  const problems = waiverProblems(input, checks, now);
  if (problems.length > 0) throw new ConfigError(problems);
  const date = dateFlag(input.until, '--until').date as NonNullable<ReturnType<typeof dateFlag>['date']>;
  // A bare date lasts through that day; an instant is exact.
  const until = date.end;
  return store.createWaiver({
    checkId: (input.checkId as string).trim(),
    resource: (input.resource as string).trim(),
    reason: (input.reason as string).trim(),
    until: until.toISOString(),
    at: now.toISOString(),
    actor: ctx.actor,
  });
}

export async function revokeWaiver(store: EvidenceStore, id: string, reason: string | undefined, ctx: Context): Promise<StoredWaiver> {
  const problems = required(reason, '--reason', 'say why the exception ends; it is recorded with your name');
  const existing = await store.getWaiver(id);
  if (!existing) problems.push({ file: 'argument <id>', path: '', message: `no waiver ${id}; \`vigil waive list\` shows them` });
  else if (existing.revokedAt) problems.push({ file: 'argument <id>', path: '', message: `${existing.id} was already revoked at ${existing.revokedAt} by ${existing.revokedBy ?? 'someone'}` });
  if (problems.length > 0) throw new ConfigError(problems);
  const revoked = await store.revokeWaiver(id, { at: ctx.clock.now().toISOString(), actor: ctx.actor, reason: (reason as string).trim() });
  // Revoked between the read and the write by someone else: say so rather than claim this revocation.
  if (!revoked) throw new ConfigError([{ file: 'argument <id>', path: '', message: `${id} was revoked by someone else just now` }]);
  return revoked;
}
