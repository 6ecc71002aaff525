/**
 * Dates given on the command line for evidence: report periods, waiver and attestation expiries. A bare
 * date means a whole UTC day, as people mean it: `--from 2025-01-01 --to 2025-03-31` is the first
 * quarter, both days included, and `--until 2025-06-30` lasts through the 30th.
 */
import type { Problem } from '../core/errors.js';
import type { ReportPeriod } from './report-model.js';

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;

export interface ParsedDate {
  /** The first instant the text names (a bare date: its 00:00 UTC). */
  start: Date;
  /** The instant just after what the text names (a bare date: the next day's 00:00 UTC); equal to `start` for an instant. */
  end: Date;
  dateOnly: boolean;
}

/** `2025-06-30` or an ISO instant with a zone (`2025-06-30T12:00:00Z`); undefined for anything else. */
export function parseDate(text: string): ParsedDate | undefined {
  const trimmed = text.trim();
  const day = DATE_ONLY.exec(trimmed);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const start = new Date(Date.UTC(y, m - 1, d));
    // Date.UTC rolls 2025-02-30 over to March; a date that does not round-trip does not exist.
    if (start.getUTCFullYear() !== y || start.getUTCMonth() !== m - 1 || start.getUTCDate() !== d) return undefined;
    return { start, end: new Date(start.getTime() + DAY_MS), dateOnly: true };
  }
  if (!INSTANT.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return { start: new Date(at), end: new Date(at), dateOnly: false };
}

function flagProblem(flag: string, message: string): Problem {
  return { file: `argument ${flag}`, path: '', message };
}

const EXPECTED = 'expected a date (2025-06-30) or an ISO instant with a zone (2025-06-30T12:00:00Z)';

/** A required date flag: the parsed date, or the problem with it. */
export function dateFlag(text: string | undefined, flag: string): { date?: ParsedDate; problems: Problem[] } {
  if (text === undefined || text.trim() === '') return { problems: [flagProblem(flag, `required; ${EXPECTED}`)] };
  const date = parseDate(text);
  return date ? { date, problems: [] } : { problems: [flagProblem(flag, `${EXPECTED}, got "${text}"`)] };
}

/**
 * The report period `--from`..`--to`: from the start of `from` to the end of `to`, cut at `now` when it
 * ends today. Refused when inverted, empty, or starting or ending in the future (the evidence for the
 * future does not exist yet, and a report that claimed a period it cannot cover would mislead).
 */
export function parsePeriod(fromText: string | undefined, toText: string | undefined, now: Date): { period?: ReportPeriod; problems: Problem[] } {
  const from = dateFlag(fromText, '--from');
  const to = dateFlag(toText, '--to');
  const problems = [...from.problems, ...to.problems];
  if (!from.date || !to.date) return { problems };
  const start = from.date.start;
  const end = to.date.dateOnly ? to.date.end : to.date.start;
  if (start.getTime() > now.getTime()) problems.push(flagProblem('--from', `${fromText} is in the future (now is ${now.toISOString()})`));
  if (to.date.start.getTime() > now.getTime()) problems.push(flagProblem('--to', `${toText} is in the future (now is ${now.toISOString()}); a report covers evidence that exists`));
  if (end.getTime() <= start.getTime()) problems.push(flagProblem('--to', `the period is inverted or empty: --to ${toText} is not after --from ${fromText}`));
  if (problems.length > 0) return { problems };
  const cut = Math.min(end.getTime(), now.getTime());
  return { period: { from: start.toISOString(), to: new Date(cut).toISOString() }, problems };
}

/** One calendar year after `at`, in UTC. */
export function oneYearAfter(at: Date): Date {
  const out = new Date(at.getTime());
  out.setUTCFullYear(out.getUTCFullYear() + 1);
  return out;
}
