/**
 * Daily uptime per status-page component, over the last N calendar days. The numbers come from
 * `dailyUptime` (per probe and day); a component sums the checks of every probe that watches it. A day
 * without any check is "no data", never 100%: the page must not claim uptime nobody measured.
 *
 * Ninety days of one-minute probes is ~130,000 observations per probe, too many to read for every page
 * view, so `UptimeCache` keeps the rows of days that can no longer change and reads only the recent ones.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import { dailyUptime, type DailyUptime, type ProbeStateStore } from '../../incidents/probes.js';

/** The widest UTC offsets in use (+14:00, -12:00), rounded up: a calendar day anywhere starts after this. */
const MAX_ZONE_OFFSET_MS = 14 * HOUR_MS;
/** An observation is recorded after its check ran (`at` is the start); a day is final once this has passed too. */
const LATE_RECORD_GRACE_MS = 15 * MINUTE_MS;

/** One component's day: its probes' checks added up, in the page's time zone. */
export type ComponentDay = Omit<DailyUptime, 'probe'>;

/** `count` calendar days in `timeZone` ending with the day of `now`, oldest first. */
export function calendarDays(now: Date, count: number, timeZone: string): string[] {
  const today = dayFormatter(timeZone)(now);
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const days: string[] = [];
  for (let i = count - 1; i >= 0; i--) days.push(new Date(Date.UTC(y, m - 1, d - i)).toISOString().slice(0, 10));
  return days;
}

export function dayFormatter(timeZone: string): (date: Date) => string {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  } catch {
    throw new ConfigError([{ file: 'argument', path: 'timeZone', message: `"${timeZone}" is not a known IANA time zone (e.g. UTC, Europe/Berlin)` }]);
  }
  return (date) => {
    const parts = Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]));
    return `${parts['year']}-${parts['month']}-${parts['day']}`;
  };
}

/** An instant no later than the start of `day` in any time zone: where to start reading observations. */
function readFrom(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - MAX_ZONE_OFFSET_MS).toISOString();
}

/** Whether every observation of `day` (in any zone) has been recorded by `now`. */
function isFinal(day: string, now: Date): boolean {
  return now.getTime() >= Date.parse(`${day}T00:00:00Z`) + DAY_MS + MAX_ZONE_OFFSET_MS + LATE_RECORD_GRACE_MS;
}

/**
 * Each component's days (oldest first, one per day in `days`), summing the probes that watch it.
 * Rows of probes no longer configured are ignored.
 */
export function componentDays(rows: readonly DailyUptime[], probes: ReadonlyArray<{ name: string; component: string }>, components: readonly string[], days: readonly string[]): Map<string, ComponentDay[]> {
  const componentOf = new Map(probes.map((p) => [p.name, p.component]));
  const sums = new Map<string, ComponentDay>();
  for (const row of rows) {
    const component = componentOf.get(row.probe);
    if (component === undefined) continue;
    const id = `${component}\u0000${row.day}`;
    const sum = sums.get(id) ?? { day: row.day, checks: 0, up: 0, degraded: 0, down: 0, muted: 0, uptimePercent: null };
    sum.checks += row.checks;
    sum.up += row.up;
    sum.degraded += row.degraded;
    sum.down += row.down;
    sum.muted += row.muted;
    sums.set(id, sum);
  }
  const out = new Map<string, ComponentDay[]>();
  for (const component of components) {
    out.set(
      component,
      days.map((day) => {
        const sum = sums.get(`${component}\u0000${day}`);
        if (!sum) return { day, checks: 0, up: 0, degraded: 0, down: 0, muted: 0, uptimePercent: null };
        // Same rounding as dailyUptime, so a component of one probe reads exactly as `vigil probe uptime`.
        return { ...sum, uptimePercent: sum.checks === 0 ? null : Math.round(((sum.up + sum.degraded) / sum.checks) * 100_000) / 1_000 };
      }),
    );
  }
  return out;
}

/** Where the daily rows come from: straight from the store, or through an UptimeCache. */
export interface UptimeSource {
  dailyRows(probes: ProbeStateStore, days: readonly string[], timeZone: string, now: Date): Promise<DailyUptime[]>;
}

/** Reads every observation of the window on each call: for tests and one-off renders. */
export const directUptime: UptimeSource = {
  async dailyRows(probes, days, timeZone) {
    const first = days[0];
    if (first === undefined) return [];
    const wanted = new Set(days);
    return dailyUptime(await probes.observations(readFrom(first)), timeZone).filter((r) => wanted.has(r.day));
  },
};

/**
 * Keeps the rows of final days (see `isFinal`) and reads only the days after them. One per process; it
 * holds at most the window's days per probe. A change of time zone starts it afresh.
 */
export class UptimeCache implements UptimeSource {
  private timeZone: string | undefined;
  private readonly finalRows = new Map<string, DailyUptime[]>();

  async dailyRows(probes: ProbeStateStore, days: readonly string[], timeZone: string, now: Date): Promise<DailyUptime[]> {
    if (timeZone !== this.timeZone) {
      this.finalRows.clear();
      this.timeZone = timeZone;
    }
    const wanted = new Set(days);
    for (const day of [...this.finalRows.keys()]) if (!wanted.has(day)) this.finalRows.delete(day);
    const missing = days.filter((day) => !this.finalRows.has(day));
    const first = missing[0];
    if (first === undefined) return days.flatMap((day) => this.finalRows.get(day) ?? []);

    const fresh = dailyUptime(await probes.observations(readFrom(first)), timeZone);
    const byDay = new Map<string, DailyUptime[]>();
    for (const row of fresh) byDay.set(row.day, [...(byDay.get(row.day) ?? []), row]);
    for (const day of missing) if (isFinal(day, now)) this.finalRows.set(day, byDay.get(day) ?? []);
    return days.flatMap((day) => this.finalRows.get(day) ?? byDay.get(day) ?? []);
  }
}
