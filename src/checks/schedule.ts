/**
 * "Daily" means every day of the window has a backup: judge the schedule, not only the latest state.
 * Days are UTC calendar days. Today is not judged (its backup may not have run yet); freshness is a
 * separate check.
 */
import { DAY_MS, HOUR_MS } from '../core/clock.js';

export interface DailyCoverage {
  /** UTC days (YYYY-MM-DD) in the window, oldest first. */
  windowDays: string[];
  /** Days in the window with no backup, oldest first. */
  missingDays: string[];
  newest?: Date;
  oldest?: Date;
}

export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** A run's day strings, one per day: each source's result keeps its missing days (3,000 volumes x 60 days). */
const DAY_KEYS = new Map<number, string>();
const DAY_KEYS_KEPT = 4096;

function dayKey(startOfDay: number): string {
  let key = DAY_KEYS.get(startOfDay);
  if (key === undefined) {
    if (DAY_KEYS.size >= DAY_KEYS_KEPT) DAY_KEYS.clear();
    key = utcDay(new Date(startOfDay));
    DAY_KEYS.set(startOfDay, key);
  }
  return key;
}

/**
 * The complete days of a `windowDays` retention window (or since the source was created, if later)
 * up to yesterday, and which of them have no backup time in `times`. The day exactly `windowDays`
 * ago is left out: its backup is already past retention and the scheduler deletes it during today.
 */
export function dailyCoverage(times: readonly Date[], now: Date, windowDays: number, sourceCreatedAt?: Date): DailyCoverage {
  const startOfToday = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  let first = startOfToday - (windowDays - 1) * DAY_MS;
  if (sourceCreatedAt) {
    // A source created mid-day can only be expected to have its first backup the next day.
    const created = sourceCreatedAt.getTime();
    const dayAfterCreation = Date.UTC(sourceCreatedAt.getUTCFullYear(), sourceCreatedAt.getUTCMonth(), sourceCreatedAt.getUTCDate()) + DAY_MS;
    if (created > first) first = dayAfterCreation;
  }
  const present = new Set(times.map(utcDay));
  const windowList: string[] = [];
  const missing: string[] = [];
  for (let day = first; day < startOfToday; day += DAY_MS) {
    const key = dayKey(day);
    windowList.push(key);
    if (!present.has(key)) missing.push(key);
  }
  const sorted = [...times].sort((a, b) => a.getTime() - b.getTime());
  return { windowDays: windowList, missingDays: missing, newest: sorted[sorted.length - 1], oldest: sorted[0] };
}

/** Collapses consecutive days into ranges for messages: `2026-11-03..2026-11-05, 2026-11-09`. */
export function describeDays(days: readonly string[], max = 6): string {
  const ranges: string[] = [];
  let start: string | undefined;
  let prev: string | undefined;
  const flush = () => {
    if (start !== undefined && prev !== undefined) ranges.push(start === prev ? start : `${start}..${prev}`);
  };
  for (const day of days) {
    if (prev !== undefined && Date.parse(day) - Date.parse(prev) === DAY_MS) {
      prev = day;
      continue;
    }
    flush();
    start = day;
    prev = day;
  }
  flush();
  return ranges.length > max ? `${ranges.slice(0, max).join(', ')} and ${ranges.length - max} more` : ranges.join(', ');
}

export function ageHours(date: Date, now: Date): number {
  return Math.round(((now.getTime() - date.getTime()) / HOUR_MS) * 10) / 10;
}

export function ageDays(date: Date, now: Date): number {
  return Math.floor((now.getTime() - date.getTime()) / DAY_MS);
}
