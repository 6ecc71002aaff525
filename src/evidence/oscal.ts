/**
 * The evidence report as NIST OSCAL assessment-results JSON (model 1.0.4, the schema in
 * test/fixtures/oscal/), so GRC tools can import a period's results. Pure over an `EvidenceReport`.
 *
 * How Vigil's words map onto OSCAL's (decisions, documented in the README's evidence section):
 *
 * - One `result` for the report period (`start` = period start, `end` = its exclusive end).
 * - One `finding` per applicable control, targeting the control's objective: `type: objective-id`,
 *   `target-id: <control id>_obj` (NIST's `<control>_obj` convention; ISO/IEC 27001 has no OSCAL
 *   catalog, so the framework file's ids are used as they are). `status` by verdict:
 *     effective                  -> satisfied,     reason pass
 *     effective_with_exceptions  -> satisfied,     reason other; each exception is a `risk` with
 *                                   status deviation-approved (closed once revoked), deadline = expiry
 *     attested                   -> satisfied,     reason other; its observations are EXAMINE
 *     not_effective              -> not-satisfied, reason fail
 *     not_evidenced              -> not-satisfied, reason other: no evidence is never satisfied
 *   and Vigil's own verdict travels in a `verdict` prop (namespace VIGIL_OSCAL_NS) on every finding.
 * - Controls the statement of applicability excludes get no finding (neither state would be true):
 *   they are listed in `reviewed-controls` under `exclude-controls`, with their justifications in the
 *   selection's remarks.
 * - `observations` carry the evidence and are linked from findings: one per check (TEST), per drill
 *   target (TEST), per distinct incident record set (TEST), per attestation (EXAMINE, by the owner as
 *   a party, the attested file as a back-matter resource with its SHA-256). Failing resources are
 *   inventory items referenced as the check observation's subjects.
 * - `import-ap`: Vigil writes no OSCAL assessment plan; its plan is its configuration (the framework
 *   mapping, check, drill and schedule definitions). The href points at a back-matter resource that
 *   says so and links the framework file, unless the caller names a real plan (`assessmentPlanHref`).
 * - UUIDs are version 5, from a namespace derived from `uuidSeed` and the ids of what they name, so
 *   the same report and seed always give byte-identical JSON; a subject (a waiver, an owner, a
 *   resource) keeps its UUID across periods.
 */
import { createHash } from 'node:crypto';
import { FRAMEWORK_FILE } from './framework.js';
import type { Attestation, CheckEvidence, ControlReport, ControlVerdict, DrillEvidence, EvidenceReport, IncidentEvidence, Waiver } from './report-model.js';
import { SLA_CLOCKS } from '../incidents/types.js';

/** The OSCAL model version of the schema the export is validated against. */
export const OSCAL_VERSION = '1.0.4';
/** Namespace of the props Vigil adds (OSCAL requires one for names it does not define). */
export const VIGIL_OSCAL_NS = 'urn:vigil:oscal';

export interface OscalOptions {
  /** metadata.title; defaults to the framework, the period and "assessment results". */
  title?: string;
  /** Seeds every UUID; two deployments exporting the same period should pass different seeds. Default `vigil`. */
  uuidSeed?: string;
  /** A real OSCAL assessment plan to import instead of the back-matter description of Vigil's plan. */
  assessmentPlanHref?: string;
}

type FindingState = 'satisfied' | 'not-satisfied';
type FindingReason = 'pass' | 'fail' | 'other';

/** The mapping described above, as data. */
export const FINDING_STATUS: Record<Exclude<ControlVerdict, 'not_applicable'>, { state: FindingState; reason: FindingReason }> = {
  effective: { state: 'satisfied', reason: 'pass' },
  effective_with_exceptions: { state: 'satisfied', reason: 'other' },
  attested: { state: 'satisfied', reason: 'other' },
  not_effective: { state: 'not-satisfied', reason: 'fail' },
  not_evidenced: { state: 'not-satisfied', reason: 'other' },
};

const DNS_NAMESPACE = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

/** An RFC 4122 version-5 (SHA-1, name-based) UUID of `name` in `namespace`. */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`uuidV5: namespace ${namespace} is not a UUID`);
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Vigil's namespace for OSCAL UUIDs: v5 of its own name in the DNS namespace. */
export const VIGIL_UUID_NAMESPACE = uuidV5('oscal.vigil', DNS_NAMESPACE);

interface Prop {
  name: string;
  value: string;
  ns?: string;
}

/** OSCAL strings may not be empty or start or end with space, and may not span lines. */
function oneLine(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

/** A prop Vigil defines, in its namespace; nothing when there is no value. */
function prop(name: string, value: string | number | boolean | undefined): Prop | undefined {
  const own = oscalProp(name, value);
  return own && { ...own, ns: VIGIL_OSCAL_NS };
}

/** A prop OSCAL itself defines (`asset-id`), which takes no namespace. */
function oscalProp(name: string, value: string | number | boolean | undefined): Prop | undefined {
  if (value === undefined) return undefined;
  const text = oneLine(String(value));
  return text === '' ? undefined : { name, value: text };
}

/** A non-empty array or nothing: OSCAL arrays have `minItems: 1`. */
function some<T>(items: Array<T | undefined>): T[] | undefined {
  const kept = items.filter((i): i is T => i !== undefined);
  return kept.length > 0 ? kept : undefined;
}

/** RFC 3339 with a zone, as OSCAL's date-time pattern wants; a bad instant is a bug in the report. */
function instant(iso: string, field: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`the evidence report's ${field} is not a date-time: ${JSON.stringify(iso)}`);
  return new Date(t).toISOString();
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}

function day(iso: string): string {
  return iso.slice(0, 10);
}

function lastDay(to: string): string {
  return new Date(Date.parse(to) - 1).toISOString().slice(0, 10);
}

class Ids {
  private readonly ns: string;
  constructor(seed: string) {
    this.ns = uuidV5(seed, VIGIL_UUID_NAMESPACE);
  }
  of(...parts: string[]): string {
    return uuidV5(parts.join('\u001f'), this.ns);
  }
}

type Json = Record<string, unknown>;

interface Context {
  report: EvidenceReport;
  ids: Ids;
  period: string;
  platformUuid: string;
  ledgerEvidence: Json[] | undefined;
  observations: Map<string, Json>;
  inventory: Map<string, Json>;
  risks: Map<string, Json>;
  parties: Map<string, Json>;
  resources: Json[];
}

function platformOrigin(ctx: Context): Json[] {
  return [{ actors: [{ type: 'assessment-platform', 'actor-uuid': ctx.platformUuid }] }];
}

function addObservation(ctx: Context, uuid: string, build: () => Json): string {
  if (!ctx.observations.has(uuid)) ctx.observations.set(uuid, { uuid, ...build() });
  return uuid;
}

function inventoryItem(ctx: Context, f: CheckEvidence['failing'][number]): string {
  const uuid = ctx.ids.of('inventory-item', f.resource);
  if (!ctx.inventory.has(uuid)) {
    ctx.inventory.set(uuid, {
      uuid,
      description: `${f.name} (${f.resource}) in account ${f.accountId}, region ${f.region}.`,
      props: some([oscalProp('asset-id', f.resource), prop('account-id', f.accountId), prop('region', f.region)]),
    });
  }
  return uuid;
}

function checkObservation(ctx: Context, check: CheckEvidence): string | undefined {
  if (check.runs === 0 && check.evaluations === 0) return undefined;
  const judged = check.pass + check.fail;
  return addObservation(ctx, ctx.ids.of('observation', 'check', ctx.period, check.checkId), () => ({
    title: `Check ${check.checkId}: ${check.title}`,
    description:
      `${check.runs} runs in the period evaluated ${check.evaluations} resources: ${check.pass} pass, ${check.fail} fail, ` +
      `${check.error} could not be evaluated, ${check.notApplicable} not applicable` +
      (judged > 0 ? `; pass rate ${percent(check.pass / judged)}.` : '.') +
      (check.failing.length > 0 ? ` ${check.failing.length} resources failing at the last run.` : ''),
    props: some([
      prop('check-id', check.checkId),
      prop('severity', check.severity),
      prop('runs', check.runs),
      prop('evaluations', check.evaluations),
      prop('pass', check.pass),
      prop('fail', check.fail),
      prop('error', check.error),
      prop('not-applicable', check.notApplicable),
      judged > 0 ? prop('pass-rate', (check.pass / judged).toFixed(4)) : undefined,
    ]),
    methods: ['TEST'],
    types: [check.fail > 0 || check.error > 0 ? 'finding' : 'control-objective'],
    origins: platformOrigin(ctx),
    subjects: some(
      check.failing.map((f) => ({
        'subject-uuid': inventoryItem(ctx, f),
        type: 'inventory-item',
        props: some([prop('result', 'fail'), prop('waiver-id', f.waiverId)]),
        remarks: f.message,
      })),
    ),
    'relevant-evidence': ctx.ledgerEvidence,
    collected: instant(check.lastEvaluatedAt ?? ctx.report.generatedAt, `check ${check.checkId} lastEvaluatedAt`),
    remarks: check.failing.length > 0 ? check.failing.map((f) => `- ${f.name} (${f.resource}): ${f.message}${f.waiverId ? ` Accepted by ${f.waiverId}.` : ''}`).join('\n') : undefined,
  }));
}

function seconds(value: number | undefined): string {
  if (value === undefined) return 'none';
  if (value < 120) return `${Math.round(value)} s`;
  if (value < 7200) return `${Math.round(value / 60)} min`;
  return `${(value / 3600).toFixed(1)} h`;
}

function drillObservation(ctx: Context, drill: DrillEvidence): string | undefined {
  if (drill.runs === 0 && drill.history.length === 0) return undefined;
  return addObservation(ctx, ctx.ids.of('observation', 'drill', ctx.period, drill.target), () => ({
    title: `Restore drills of ${drill.target}`,
    description:
      `${drill.runs} restore drills: ${drill.succeeded} succeeded, ${drill.failed} failed, ${drill.aborted} aborted. ` +
      `RTO median ${seconds(drill.rtoSeconds.median)}, longest ${seconds(drill.rtoSeconds.max)} against a target of ${seconds(drill.rtoTargetSeconds)}; ` +
      `RPO median ${seconds(drill.rpoSeconds.median)}, longest ${seconds(drill.rpoSeconds.max)} against a target of ${seconds(drill.rpoTargetSeconds)}; ` +
      `${drill.withinTargets} of ${drill.succeeded} successful drills within both targets.`,
    props: some([
      prop('drill-target', drill.target),
      prop('runs', drill.runs),
      prop('succeeded', drill.succeeded),
      prop('failed', drill.failed),
      prop('aborted', drill.aborted),
      prop('rto-target-seconds', drill.rtoTargetSeconds),
      prop('rto-median-seconds', drill.rtoSeconds.median),
      prop('rto-max-seconds', drill.rtoSeconds.max),
      prop('rpo-target-seconds', drill.rpoTargetSeconds),
      prop('rpo-median-seconds', drill.rpoSeconds.median),
      prop('rpo-max-seconds', drill.rpoSeconds.max),
      prop('within-targets', drill.withinTargets),
    ]),
    methods: ['TEST'],
    types: [drill.failed + drill.aborted > 0 || drill.withinTargets < drill.succeeded ? 'finding' : 'control-objective'],
    origins: platformOrigin(ctx),
    'relevant-evidence': ctx.ledgerEvidence,
    collected: instant(drill.lastAt ?? ctx.report.generatedAt, `drill ${drill.target} lastAt`),
    remarks: some(
      drill.history.map((h) => `- ${h.id} at ${h.at}: ${h.status}, RTO ${seconds(h.rtoSeconds)}, RPO ${seconds(h.rpoSeconds)}${h.failure ? `; ${oneLine(h.failure)}` : ''}`),
    )?.join('\n'),
  }));
}

function incidentObservation(ctx: Context, incidents: IncidentEvidence): string {
  // Several controls share the same incident records; identical evidence is one observation.
  const digest = createHash('sha256').update(JSON.stringify(incidents)).digest('hex').slice(0, 32);
  return addObservation(ctx, ctx.ids.of('observation', 'incidents', ctx.period, digest), () => {
    const lines = incidents.bySeverity.map((s) => {
      const met = SLA_CLOCKS.reduce((n, c) => n + s.clocks[c].met, 0);
      const breached = SLA_CLOCKS.reduce((n, c) => n + s.clocks[c].breached, 0);
      const running = SLA_CLOCKS.reduce((n, c) => n + s.clocks[c].running, 0);
      const adherence = met + breached > 0 ? `, adherence ${percent(met / (met + breached))}` : '';
      return `${s.severity}: ${s.incidents} incidents, SLA clocks ${met} met, ${breached} breached, ${running} running${adherence}`;
    });
    return {
      title: 'Incident records and SLA adherence',
      description: `${incidents.opened} incidents opened and ${incidents.resolved} resolved in the period. ${lines.join('; ')}.`,
      props: some([prop('incidents-opened', incidents.opened), prop('incidents-resolved', incidents.resolved)]),
      methods: ['TEST'],
      types: [incidents.list.some((i) => i.breaches.length > 0) ? 'finding' : 'control-objective'],
      origins: platformOrigin(ctx),
      'relevant-evidence': ctx.ledgerEvidence,
      collected: instant(ctx.report.generatedAt, 'generatedAt'),
      remarks: some(incidents.list.map((i) => `- ${i.id} (${i.severity}, ${i.state}) reported ${i.reportedAt}: ${oneLine(i.title)}${i.breaches.length > 0 ? `; breached ${i.breaches.join(', ')}` : ''}`))?.join('\n'),
    };
  });
}

function ownerParty(ctx: Context, owner: string): string {
  const uuid = ctx.ids.of('party', owner);
  if (!ctx.parties.has(uuid)) ctx.parties.set(uuid, { uuid, type: 'person', name: oneLine(owner) || 'unnamed owner' });
  return uuid;
}

function attestationObservation(ctx: Context, a: Attestation): string {
  return addObservation(ctx, ctx.ids.of('observation', 'attestation', ctx.period, a.id), () => {
    let evidence: Json[] | undefined;
    if (a.file) {
      const resource = ctx.ids.of('resource', 'attestation-file', a.id);
      ctx.resources.push({
        uuid: resource,
        title: a.file.name,
        description: `The file attested by ${a.owner} for ${a.control} (${a.file.bytes} bytes); the file stays with its owner, its hash is on record.`,
        rlinks: [{ href: encodeURIComponent(a.file.name), hashes: [{ algorithm: 'SHA-256', value: a.file.sha256 }] }],
      });
      evidence = [{ href: `#${resource}`, description: `${a.file.name}, SHA-256 ${a.file.sha256}.` }];
    }
    return {
      title: `Attestation ${a.id} by ${a.owner}`,
      description: a.reason,
      props: some([prop('attestation-id', a.id), prop('control-id', a.control), prop('recorded-by', a.actor)]),
      methods: ['EXAMINE'],
      types: ['control-objective'],
      origins: [{ actors: [{ type: 'party', 'actor-uuid': ownerParty(ctx, a.owner), 'role-id': 'control-owner' }] }],
      'relevant-evidence': evidence,
      collected: instant(a.at, `attestation ${a.id} at`),
      expires: a.expiresAt === undefined ? undefined : instant(a.expiresAt, `attestation ${a.id} expiresAt`),
    };
  });
}

function waiverRisk(ctx: Context, w: Waiver, observations: string[]): string {
  const uuid = ctx.ids.of('risk', 'waiver', w.id);
  if (!ctx.risks.has(uuid)) {
    const resource = w.resource === '*' ? 'every resource' : w.resource;
    ctx.risks.set(uuid, {
      uuid,
      title: `Exception ${w.id}: ${w.checkId} on ${resource}`,
      description: w.reason,
      statement: `Failing results of check ${w.checkId} on ${resource} are accepted until ${w.until}, as granted by ${w.actor} at ${w.at}.${w.revokedAt ? ` Revoked at ${w.revokedAt}.` : ''}`,
      props: some([prop('waiver-id', w.id), prop('check-id', w.checkId), prop('resource', w.resource), prop('granted-by', w.actor), prop('revoked-at', w.revokedAt)]),
      status: w.revokedAt ? 'closed' : 'deviation-approved',
      deadline: instant(w.until, `waiver ${w.id} until`),
      'related-observations': some(observations.map((o) => ({ 'observation-uuid': o }))),
    });
  }
  return uuid;
}

function finding(ctx: Context, control: ControlReport): Json | undefined {
  if (control.verdict === 'not_applicable' || !control.applicable) return undefined;
  const checkObs = control.checks.map((c) => [c.checkId, checkObservation(ctx, c)] as const);
  const observations = [
    ...checkObs.map(([, uuid]) => uuid),
    ...control.drills.map((d) => drillObservation(ctx, d)),
    control.incidents && (control.incidents.list.length > 0 || control.incidents.opened > 0) ? incidentObservation(ctx, control.incidents) : undefined,
    ...control.attestations.map((a) => attestationObservation(ctx, a)),
  ].filter((o): o is string => o !== undefined);
  const risks = control.exceptions.map((w) => waiverRisk(ctx, w, checkObs.filter(([id, uuid]) => id === w.checkId && uuid !== undefined).map(([, uuid]) => uuid as string)));
  const status = FINDING_STATUS[control.verdict];
  const exceptions = control.exceptions.length > 0 ? `Satisfied with approved deviations: ${control.exceptions.map((w) => `${w.id} (${w.checkId}, until ${w.until})`).join('; ')}.` : undefined;
  const statusRemarks: Partial<Record<ControlVerdict, string>> = {
    not_evidenced: 'No evidence in the period: Vigil never calls a control satisfied without evidence.',
    attested: 'Satisfied on the control owner\'s attestation (examined), not by an automated test.',
    effective_with_exceptions: exceptions,
  };
  return {
    uuid: ctx.ids.of('finding', ctx.period, control.id),
    title: `${control.id} ${control.title}`,
    description: control.verdictReason,
    props: some([prop('verdict', control.verdict), prop('control-id', control.id), prop('theme', control.theme)]),
    origins: platformOrigin(ctx),
    target: {
      type: 'objective-id',
      'target-id': `${control.id}_obj`,
      status: { state: status.state, reason: status.reason, remarks: statusRemarks[control.verdict] },
    },
    'related-observations': some(observations.map((o) => ({ 'observation-uuid': o }))),
    'related-risks': some(risks.map((r) => ({ 'risk-uuid': r }))),
  };
}

function reviewedControls(controls: ControlReport[]): Json {
  const applicable = controls.filter((c) => c.applicable && c.verdict !== 'not_applicable');
  const excluded = controls.filter((c) => !c.applicable || c.verdict === 'not_applicable');
  const selection: Json = {
    'include-controls': some(applicable.map((c) => ({ 'control-id': c.id }))),
    'exclude-controls': some(excluded.map((c) => ({ 'control-id': c.id }))),
    remarks: some(excluded.map((c) => `- ${c.id} is not applicable: ${oneLine(c.justification ?? 'no justification recorded')}`))?.join('\n'),
  };
  return {
    'control-selections': [selection],
    remarks: 'The statement of applicability: applicable controls are included and assessed; excluded controls are out of scope and have no finding.',
  };
}

/** The export, as a plain JSON value (`JSON.stringify` it to write the file). */
export function toOscalAssessmentResults(report: EvidenceReport, options: OscalOptions = {}): { 'assessment-results': Json } {
  const ids = new Ids(options.uuidSeed ?? 'vigil');
  const { ledger, period } = report;
  const ledgerText =
    ledger.fromSeq !== undefined && ledger.toSeq !== undefined
      ? `Vigil evidence ledger entries ${ledger.fromSeq} to ${ledger.toSeq}, head hash ${ledger.headHash ?? 'unknown'}${ledger.verified ? ', chain verified' : ', chain NOT verified'}.`
      : undefined;
  const ctx: Context = {
    report,
    ids,
    period: periodKey(report),
    platformUuid: ids.of('assessment-platform', 'vigil'),
    ledgerEvidence: ledgerText ? [{ description: ledgerText }] : undefined,
    observations: new Map(),
    inventory: new Map(),
    risks: new Map(),
    parties: new Map(),
    resources: [],
  };
  const componentUuid = ids.of('component', 'vigil');
  const planUuid = ids.of('resource', 'assessment-plan', report.framework.id);
  const findings = report.controls.map((c) => finding(ctx, c)).filter((f): f is Json => f !== undefined);

  const parties = [...ctx.parties.values()];
  const title = options.title ?? `${report.framework.name} assessment results, ${day(period.from)} to ${lastDay(period.to)}`;
  const doc: Json = {
    uuid: ids.of('assessment-results', ctx.period),
    metadata: {
      title,
      'last-modified': instant(report.generatedAt, 'generatedAt'),
      version: instant(report.generatedAt, 'generatedAt'),
      'oscal-version': OSCAL_VERSION,
      props: some([prop('generated-by', report.generatedBy), prop('framework-id', report.framework.id)]),
      roles: parties.length > 0 ? [{ id: 'control-owner', title: 'Control owner who attests to a control' }] : undefined,
      parties: some(parties),
      'responsible-parties': parties.length > 0 ? [{ 'role-id': 'control-owner', 'party-uuids': parties.map((p) => p['uuid']) }] : undefined,
      remarks: `Exported by Vigil from its ${report.framework.name} evidence report generated at ${report.generatedAt} by ${report.generatedBy}.`,
    },
    'import-ap': options.assessmentPlanHref
      ? { href: options.assessmentPlanHref }
      : {
          href: `#${planUuid}`,
          remarks: 'Vigil writes no separate OSCAL assessment plan: the plan is its configuration, described by the back-matter resource this points at.',
        },
    results: [
      {
        uuid: ids.of('result', ctx.period),
        title: `${report.framework.name}: ${day(period.from)} to ${lastDay(period.to)}`,
        description:
          `Evidence Vigil recorded from ${period.from} (inclusive) to ${period.to} (exclusive): automated checks, restore drills, ` +
          `incident records with SLA clocks, attestations and accepted exceptions, with a finding per applicable control.`,
        start: instant(period.from, 'period.from'),
        end: instant(period.to, 'period.to'),
        props: some([
          prop('ledger-from-seq', ledger.fromSeq),
          prop('ledger-to-seq', ledger.toSeq),
          prop('ledger-head-hash', ledger.headHash),
          prop('ledger-verified', ledger.verified),
          prop('ledger-break-seq', ledger.break?.seq),
        ]),
        'local-definitions': {
          'inventory-items': some([...ctx.inventory.values()]),
          'assessment-assets': {
            components: [
              {
                uuid: componentUuid,
                type: 'software',
                title: 'Vigil',
                description: 'Vigil checks an AWS-hosted platform against its operations and security promises and records the evidence in a hash-chained ledger.',
                status: { state: 'operational' },
              },
            ],
            'assessment-platforms': [{ uuid: ctx.platformUuid, title: 'Vigil', 'uses-components': [{ 'component-uuid': componentUuid }] }],
          },
        },
        'reviewed-controls': reviewedControls(report.controls),
        observations: some([...ctx.observations.values()]),
        risks: some([...ctx.risks.values()]),
        findings: some(findings),
        remarks: some([...report.notices.map((n) => `- ${oneLine(n)}`), ledger.break ? `- The ledger chain breaks at entry ${ledger.break.seq} (${ledger.break.kind}): ${oneLine(ledger.break.message)}` : undefined])?.join('\n'),
      },
    ],
    'back-matter': {
      resources: [
        {
          uuid: planUuid,
          title: `Vigil's assessment plan for ${report.framework.name}`,
          description:
            `The controls, the evidence each accepts and the checks mapped to it are in ${FRAMEWORK_FILE}; the checks are defined under checks/, ` +
            'the restore drills under runbooks/drills/ and their schedules under schedules/, as shipped with the Vigil that produced these results.',
          rlinks: [{ href: FRAMEWORK_FILE, 'media-type': 'application/yaml' }],
        },
        ...ctx.resources,
      ],
    },
  };
  // Drops every undefined field: OSCAL has no nulls, and optional arrays must be absent, not empty.
  return JSON.parse(JSON.stringify({ 'assessment-results': doc })) as { 'assessment-results': Json };
}

/** What names a period's result: the framework and the normalized instants. */
function periodKey(report: EvidenceReport): string {
  return `${report.framework.id}/${instant(report.period.from, 'period.from')}/${instant(report.period.to, 'period.to')}`;
}
