/**
 * How the pages write times and durations: the same words the CLI and the channels use, so a time on the
 * overview matches the one in Slack and a drill's RTO matches `vigil drill list`.
 */
import { utc } from '../../adapters/channels/render.js';

/** `2025-01-06 10:00 UTC`. */
export function utcText(iso: string): string {
  return utc(iso);
}

/**
 * `45 s`, `12 min`, `1.5 h`, `2.0 d`: the steps of `formatSeconds` in src/drills/run.ts, so an RTO reads
 * as in `vigil drill list`. Not imported from there: that module brings the whole drill runner with it.
 */
export function durationText(ms: number): string {
  const seconds = Math.abs(ms) / 1000;
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

/** `in 12 min` or `12 min ago`, from `now`. */
export function relativeText(iso: string, now: Date): string {
  const delta = Date.parse(iso) - now.getTime();
  return delta >= 0 ? `in ${durationText(delta)}` : `${durationText(delta)} ago`;
}
