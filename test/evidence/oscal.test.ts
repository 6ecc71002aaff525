/**
 * The OSCAL assessment-results export against NIST's published JSON schema (copied into
 * test/fixtures/oscal/ so a fresh clone tests without ../shared), plus what the schema cannot say:
 * statuses per verdict, evidence linked from findings, references that resolve, reproducible UUIDs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import * as formatsModule from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/core/paths.js';
import { FINDING_STATUS, OSCAL_VERSION, toOscalAssessmentResults, uuidV5, VIGIL_OSCAL_NS } from '../../src/evidence/oscal.js';
import { CONTROL_VERDICTS } from '../../src/evidence/report-model.js';
import { ATTESTED, emptyReport, FAILING_RESOURCE, fullReport, NOT_APPLICABLE } from './render-fixtures.js';

const FIXTURES = join(PROJECT_ROOT, 'test', 'fixtures', 'oscal');
const readJson = (file: string): unknown => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'));

// ajv-formats is CommonJS with `exports.default`; under NodeNext its default import is the module object.
type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats = ((formatsModule as unknown as { default: FormatsPlugin }).default ?? formatsModule) as FormatsPlugin;

/**
 * Ajv's defaults fit NIST's draft-07 schema: `unicodeRegExp` (on by default) is what its `\p{L}`
 * patterns need, and ajv-formats supplies `date-time`, `uri` and `uri-reference`. `allErrors` so a
 * failure lists every problem.
 */
function compileSchema(): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, unicodeRegExp: true });
  addFormats(ajv);
  return ajv.compile(readJson('oscal_assessment-results_schema.json') as object);
}

function problems(validate: ValidateFunction): string[] {
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function resultOf(doc: Json): Json {
  return doc['assessment-results'].results[0];
}

function findingOf(doc: Json, control: string): Json {
  const found = resultOf(doc).findings.find((f: Json) => f.target['target-id'] === `${control}_obj`);
  if (!found) throw new Error(`no finding for ${control}`);
  return found;
}

function observationsOf(doc: Json, finding: Json): Json[] {
  const byUuid = new Map<string, Json>(resultOf(doc).observations.map((o: Json) => [o.uuid, o]));
  return (finding['related-observations'] ?? []).map((r: Json) => byUuid.get(r['observation-uuid']));
}

describe('OSCAL assessment-results export', () => {
  let validate: ValidateFunction;

  beforeAll(() => {
    validate = compileSchema();
  });

  it('validates NIST\'s own example, and rejects it with a finding status OSCAL does not define', () => {
    const example = readJson('example-assessment-results.json') as Json;
    const broken = structuredClone(example);
    broken['assessment-results'].results[0].findings[0].target.status.state = 'partially-satisfied';

    const good = validate(example);
    const goodProblems = problems(validate);
    const bad = validate(broken);

    expect([good, goodProblems]).toEqual([true, []]);
    expect(bad).toBe(false);
    expect(problems(validate)).toContain('/assessment-results/results/0/findings/0/target/status/state must be equal to one of the allowed values');
  });

  it('exports the full month as a document valid against the schema', () => {
    const doc = toOscalAssessmentResults(fullReport());

    const valid = validate(doc);

    expect(problems(validate)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('exports a period without evidence as a valid document whose every applicable control is not satisfied', () => {
    const doc = toOscalAssessmentResults(emptyReport()) as Json;

    const valid = validate(doc);

    expect(problems(validate)).toEqual([]);
    expect(valid).toBe(true);
    const findings = resultOf(doc).findings as Json[];
    expect(findings).toHaveLength(93 - NOT_APPLICABLE.length);
    expect(new Set(findings.map((f) => `${f.target.status.state}/${f.target.status.reason}`))).toEqual(new Set(['not-satisfied/other']));
    expect(resultOf(doc).observations).toBeUndefined();
    expect(resultOf(doc).remarks).toContain('No evidence in this period');
  });

  it('gives each verdict its documented status and carries the verdict itself as a Vigil prop', () => {
    const doc = toOscalAssessmentResults(fullReport()) as Json;

    const seen = (control: string) => {
      const f = findingOf(doc, control);
      return [f.target.type, f.target.status.state, f.target.status.reason, f.props.find((p: Json) => p.name === 'verdict')];
    };

    expect(seen('A.8.13')).toEqual(['objective-id', 'not-satisfied', 'fail', { name: 'verdict', value: 'not_effective', ns: VIGIL_OSCAL_NS }]);
    expect(seen('A.8.5')).toEqual(['objective-id', 'satisfied', 'other', { name: 'verdict', value: 'effective_with_exceptions', ns: VIGIL_OSCAL_NS }]);
    expect(seen('A.5.1')).toEqual(['objective-id', 'satisfied', 'other', { name: 'verdict', value: 'attested', ns: VIGIL_OSCAL_NS }]);
    expect(seen('A.5.4')).toEqual(['objective-id', 'not-satisfied', 'other', { name: 'verdict', value: 'not_evidenced', ns: VIGIL_OSCAL_NS }]);
    expect(seen('A.8.15')).toEqual(['objective-id', 'satisfied', 'pass', { name: 'verdict', value: 'effective', ns: VIGIL_OSCAL_NS }]);
    expect(Object.keys(FINDING_STATUS).sort()).toEqual(CONTROL_VERDICTS.filter((v) => v !== 'not_applicable').sort());
    expect(doc['assessment-results'].metadata['oscal-version']).toBe(OSCAL_VERSION);
  });

  it('leaves controls out of scope by the statement of applicability out of the findings, with their justification', () => {
    const doc = toOscalAssessmentResults(fullReport()) as Json;

    const selection = resultOf(doc)['reviewed-controls']['control-selections'][0];

    expect(selection['exclude-controls']).toEqual(NOT_APPLICABLE.map((id) => ({ 'control-id': id })));
    expect(selection['include-controls']).toHaveLength(93 - NOT_APPLICABLE.length);
    expect(selection.remarks).toContain('- A.7.1 is not applicable: No own premises');
    expect(resultOf(doc).findings.map((f: Json) => f.target['target-id'])).not.toContain('A.7.1_obj');
  });

  it('links a failing control to tested observations of its checks and drills, naming the failing resource', () => {
    const report = fullReport();
    const doc = toOscalAssessmentResults(report) as Json;
    const finding = findingOf(doc, 'A.8.13');
    const control = report.controls.find((c) => c.id === 'A.8.13');

    const observations = observationsOf(doc, finding);
    const snapshots = observations.find((o) => o.title.startsWith('Check rds-snapshot-daily:')) ?? {};
    const drills = observations.find((o) => o.title === 'Restore drills of reporting-prod') ?? {};
    const inventory = resultOf(doc)['local-definitions']['inventory-items'] as Json[];

    expect(observations).toHaveLength((control?.checks.length ?? 0) + (control?.drills.length ?? 0));
    expect(new Set(observations.flatMap((o) => o.methods))).toEqual(new Set(['TEST']));
    expect(snapshots.types).toEqual(['finding']);
    expect(snapshots.props).toContainEqual({ name: 'fail', value: '6', ns: VIGIL_OSCAL_NS });
    const subject = inventory.find((i) => i.uuid === snapshots.subjects[0]['subject-uuid']);
    expect(subject?.props[0]).toEqual({ name: 'asset-id', value: FAILING_RESOURCE });
    expect(drills.props).toContainEqual({ name: 'rto-max-seconds', value: '34200', ns: VIGIL_OSCAL_NS });
    expect(drills.remarks).toContain('- drill-102 at 2026-03-08T04:00:00.000Z: failed, RTO none, RPO none; verification query returned 0 rows from enrollments');
  });

  it('records attestations as examined by their owner, with the attested file\'s SHA-256 in back-matter', () => {
    const doc = toOscalAssessmentResults(fullReport()) as Json;
    const ar = doc['assessment-results'];

    const [observation] = observationsOf(doc, findingOf(doc, ATTESTED[0] as string));
    const owner = ar.metadata.parties.find((p: Json) => p.uuid === observation?.origins[0].actors[0]['actor-uuid']);
    const file = ar['back-matter'].resources.find((r: Json) => `#${r.uuid}` === observation?.['relevant-evidence'][0].href);

    expect(observation?.methods).toEqual(['EXAMINE']);
    expect(owner).toEqual({ uuid: expect.any(String), type: 'person', name: 'Dana Okafor (CISO)' });
    expect(file.rlinks).toEqual([{ href: 'A.5.1%20policy%20set%202026.pdf', hashes: [{ algorithm: 'SHA-256', value: `11111111${'ab'.repeat(28)}` }] }]);
    expect(observation?.expires).toBe('2027-02-15T00:00:00.000Z');
  });

  it('turns exceptions into approved deviations (closed once revoked) linked from the findings they excuse', () => {
    const doc = toOscalAssessmentResults(fullReport()) as Json;

    const risks = new Map<string, Json>(resultOf(doc).risks.map((r: Json) => [r.uuid, r]));
    const excused = (control: string) => findingOf(doc, control)['related-risks'].map((r: Json) => risks.get(r['risk-uuid'])).map((r: Json) => [r.title, r.status, r.deadline]);

    expect(excused('A.8.5')).toEqual([['Exception W-1: iam-access-key-rotation on arn:aws:iam::222222222222:user/ci-deployer', 'deviation-approved', '2026-04-30T00:00:00.000Z']]);
    expect(excused('A.5.25')).toEqual([['Exception W-2: guardduty-medium-findings-age on every resource', 'closed', '2026-03-31T00:00:00.000Z']]);
  });

  it('resolves every reference inside the document', () => {
    const doc = toOscalAssessmentResults(fullReport()) as Json;
    const ar = doc['assessment-results'];
    const result = resultOf(doc);
    const known = new Set<string>([
      ...result.observations.map((o: Json) => o.uuid),
      ...result.risks.map((r: Json) => r.uuid),
      ...result['local-definitions']['inventory-items'].map((i: Json) => i.uuid),
      ...result['local-definitions']['assessment-assets']['assessment-platforms'].map((p: Json) => p.uuid),
      ...ar.metadata.parties.map((p: Json) => p.uuid),
      ...ar['back-matter'].resources.map((r: Json) => `#${r.uuid}`),
    ]);

    const references = [
      ar['import-ap'].href,
      ...result.findings.flatMap((f: Json) => [...(f['related-observations'] ?? []).map((r: Json) => r['observation-uuid']), ...(f['related-risks'] ?? []).map((r: Json) => r['risk-uuid'])]),
      ...result.observations.flatMap((o: Json) => [...(o.subjects ?? []).map((s: Json) => s['subject-uuid']), ...o.origins.flatMap((or: Json) => or.actors.map((a: Json) => a['actor-uuid'])), ...(o['relevant-evidence'] ?? []).flatMap((e: Json) => (e.href ? [e.href] : []))]),
    ];

    expect(references.filter((r) => !known.has(r))).toEqual([]);
    // Not a vacuous sweep: every finding links evidence or is unevidenced, and there are many of both.
    expect(references.length).toBeGreaterThan(150);
    const uuids = JSON.stringify(doc).match(/"uuid":"[^"]+"/g) ?? [];
    expect(new Set(uuids).size).toBe(uuids.length);
  });

  it('is reproducible: the same report and seed give the same bytes, another seed other UUIDs', () => {
    const report = fullReport();

    const first = JSON.stringify(toOscalAssessmentResults(report, { uuidSeed: 'coursecraft' }));
    const again = JSON.stringify(toOscalAssessmentResults(structuredClone(report), { uuidSeed: 'coursecraft' }));
    const other = toOscalAssessmentResults(report, { uuidSeed: 'someone-else' }) as Json;

    expect(again).toBe(first);
    expect(other['assessment-results'].uuid).not.toBe((JSON.parse(first) as Json)['assessment-results'].uuid);
  });

  it('makes RFC 4122 version-5 UUIDs', () => {
    const dns = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

    expect(uuidV5('www.example.com', dns)).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('uses a title and an assessment plan when given', () => {
    const doc = toOscalAssessmentResults(fullReport(), { title: 'Coursecraft Q1', assessmentPlanHref: 'https://grc.example.com/plans/iso27001.json' }) as Json;

    expect(validate(doc)).toBe(true);
    expect(doc['assessment-results'].metadata.title).toBe('Coursecraft Q1');
    expect(doc['assessment-results']['import-ap']).toEqual({ href: 'https://grc.example.com/plans/iso27001.json' });
  });

  it('refuses a report whose period is not a date-time, naming the field', () => {
    const report = { ...fullReport(), period: { from: 'last march', to: '2026-04-01T00:00:00.000Z' } };

    expect(() => toOscalAssessmentResults(report)).toThrow('the evidence report\'s period.from is not a date-time: "last march"');
  });
});
