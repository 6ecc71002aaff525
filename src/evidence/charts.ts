/**
 * The evidence report's summary charts as inline SVG strings: pure functions of the report's chart data,
 * no library, no script, no external asset. Every text is escaped here, because the HTML renderer inserts
 * these strings unescaped (the only unescaped insertion besides the stylesheet).
 *
 * Charts must survive a greyscale printer: meaning is carried by shape, dash and position (a dashed
 * target line, crosses for failed drills, hatching for breaches) and by text, never by colour alone.
 * Each chart is `role="img"` with a `<title>` and a `<desc>` that says in words what it shows.
 */
import type { EvidenceReport, ReportPeriod } from './report-model.js';
import { durationText, utcText } from '../service/web/format.js';

export type DrillRtoSeries = EvidenceReport['charts']['drillRto'][number];
export type SlaAdherenceRow = EvidenceReport['charts']['slaAdherence'][number];
export type PassRatePoint = EvidenceReport['charts']['passRate'][number];

export interface ChartOptions {
  /** Prefix for the ids inside the SVG (title, desc, patterns); unique per chart within one page. */
  idPrefix?: string;
}

export const NO_DATA_TEXT = 'No data in this period';

const WIDTH = 720;
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';
const INK = '#1f2328';
const MUTED = '#59636e';
const GRID = '#d1d9e0';
const MET = '#1a7f37';
const BREACHED = '#cf222e';
const DAY_MS = 86_400_000;

/** Escapes text for SVG/XML text nodes and double- or single-quoted attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Coordinates with one decimal: short markup, no float noise like 12.300000000000001. */
function n(value: number): string {
  return String(Math.round(value * 10) / 10);
}

function safeId(prefix: string): string {
  return prefix.replace(/[^A-Za-z0-9_-]/g, '-');
}

/** `92%` or `91.7%`. */
export function percentText(fraction: number): string {
  const percent = Math.round(fraction * 1000) / 10;
  return `${percent}%`;
}

function secondsText(seconds: number): string {
  return durationText(seconds * 1000);
}

function isFiniteNumber(value: number | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${n(x)}" y="${n(y)}"${attrs ? ` ${attrs}` : ''}>${escapeXml(content)}</text>`;
}

function svgOpen(id: string, height: number, title: string, desc: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${WIDTH} ${n(height)}" width="${WIDTH}" height="${n(height)}" ` +
    `role="img" aria-labelledby="${id}-title ${id}-desc" font-family="${escapeXml(FONT)}" font-size="12" fill="${INK}">` +
    `<title id="${id}-title">${escapeXml(title)}</title><desc id="${id}-desc">${escapeXml(desc)}</desc>`
  );
}

/** The graphic for a chart with nothing to show: a dashed frame that says so, in words. */
export function noDataChart(title: string, detail: string, options: ChartOptions = {}): string {
  const id = safeId(options.idPrefix ?? 'chart');
  const height = 110;
  return (
    svgOpen(id, height, title, `${NO_DATA_TEXT}. ${detail}`) +
    `<rect x="1" y="1" width="${WIDTH - 2}" height="${height - 2}" rx="6" fill="none" stroke="${MUTED}" stroke-dasharray="6 4"/>` +
    text(WIDTH / 2, 48, NO_DATA_TEXT, 'text-anchor="middle" font-size="16" font-weight="600" class="no-data"') +
    text(WIDTH / 2, 74, detail, `text-anchor="middle" fill="${MUTED}"`) +
    '</svg>'
  );
}

/** Maps an instant into [0, 1] of the period; instants outside are pinned to its edges. */
function timeScale(period: ReportPeriod): (iso: string) => number {
  const from = Date.parse(period.from);
  const to = Date.parse(period.to);
  const span = to - from;
  return (iso) => {
    if (!(span > 0)) return 0.5;
    const t = (Date.parse(iso) - from) / span;
    return Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  };
}

/** Up to five date labels spread over the period, for the time axis. */
function timeTicks(period: ReportPeriod): Array<{ at: number; label: string }> {
  const from = Date.parse(period.from);
  const to = Date.parse(period.to);
  if (!(to > from)) return [{ at: 0.5, label: period.from.slice(0, 10) }];
  const days = (to - from) / DAY_MS;
  const count = Math.max(2, Math.min(5, Math.floor(days) + 1));
  const ticks: Array<{ at: number; label: string }> = [];
  for (let i = 0; i < count; i++) {
    const at = i / (count - 1);
    // The period's end is exclusive: the last label names the last day inside it.
    const instant = i === count - 1 ? to - 1 : from + at * (to - from);
    ticks.push({ at, label: new Date(instant).toISOString().slice(0, 10) });
  }
  return ticks;
}

const NICE_SECONDS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 14_400, 21_600, 28_800, 43_200, 86_400, 172_800, 432_000, 864_000];

/** A round step of at most four intervals up to `max`, and the axis top it gives. */
function niceDurationAxis(max: number): { step: number; top: number } {
  const step = NICE_SECONDS.find((s) => max / s <= 4) ?? Math.ceil(max / 4 / 86_400) * 86_400;
  return { step, top: Math.max(step, Math.ceil(max / step) * step) };
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * The RTO axis of one drill target. One slow drill must not flatten every other point onto the floor:
 * values beyond three times the larger of target and median are drawn clipped at the top, labelled
 * with their real value.
 */
export function rtoAxis(values: number[], targetSeconds?: number): { top: number; step: number; clipped: boolean } {
  const highest = Math.max(0, ...values, targetSeconds ?? 0);
  if (highest === 0) return { ...niceDurationAxis(targetSeconds ?? 60), clipped: false };
  const reference = Math.max(targetSeconds ?? 0, median(values) ?? 0);
  const cap = reference * 3;
  const clipped = reference > 0 && highest > cap;
  const axis = niceDurationAxis(clipped ? cap : highest * 1.1);
  return { ...axis, clipped: clipped && highest > axis.top };
}

const FAILED_STATUSES = new Set(['failed', 'aborted', 'error']);

function drillPanel(series: DrillRtoSeries, x0: number, width: number, y0: number, scaleX: (iso: string) => number): string {
  const plotTop = y0 + 26;
  const plotHeight = 110;
  const plotBottom = plotTop + plotHeight;
  const failStripY = plotBottom + 18;
  const ok = series.points.filter((p) => !FAILED_STATUSES.has(p.status) && isFiniteNumber(p.rtoSeconds));
  const failed = series.points.filter((p) => FAILED_STATUSES.has(p.status));
  const target = isFiniteNumber(series.targetSeconds) ? series.targetSeconds : undefined;
  const axis = rtoAxis(ok.map((p) => p.rtoSeconds as number), target);
  const y = (seconds: number) => plotBottom - (Math.min(seconds, axis.top) / axis.top) * plotHeight;
  const x = (iso: string) => x0 + scaleX(iso) * width;

  const over = target === undefined ? 0 : ok.filter((p) => (p.rtoSeconds as number) > target).length;
  const heading = [
    series.target,
    `${series.points.length} drill${series.points.length === 1 ? '' : 's'}`,
    `${failed.length} failed`,
    target === undefined ? 'no RTO target' : `target ${secondsText(target)}`,
    ...(target === undefined ? [] : [`${over} over target`]),
  ].join(' · ');
  const parts: string[] = [text(x0, y0 + 14, heading, 'font-weight="600"')];

  for (let tick = 0; tick <= axis.top + 1e-9; tick += axis.step) {
    parts.push(`<line x1="${n(x0)}" x2="${n(x0 + width)}" y1="${n(y(tick))}" y2="${n(y(tick))}" stroke="${GRID}" stroke-width="1"/>`);
    parts.push(text(x0 - 6, y(tick) + 4, secondsText(tick), `text-anchor="end" fill="${MUTED}" font-size="11"`));
  }
  if (target !== undefined) {
    parts.push(`<line class="target" x1="${n(x0)}" x2="${n(x0 + width)}" y1="${n(y(target))}" y2="${n(y(target))}" stroke="${INK}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    parts.push(text(x0 + width - 4, y(target) - 5, `target ${secondsText(target)}`, 'text-anchor="end" font-size="11"'));
  }
  if (ok.length === 0 && failed.length === 0) parts.push(text(x0 + width / 2, plotTop + plotHeight / 2, 'No drill of this target in the period', `text-anchor="middle" fill="${MUTED}"`));

  const ordered = [...ok].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  if (ordered.length > 1) {
    const path = ordered.map((p) => `${n(x(p.at))},${n(y(p.rtoSeconds as number))}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${INK}" stroke-width="1.5"/>`);
  }
  for (const p of ordered) {
    const rto = p.rtoSeconds as number;
    const cx = x(p.at);
    const label = `${utcText(p.at)}: ${p.status}, RTO ${secondsText(rto)}${target === undefined ? '' : rto > target ? ` (over the ${secondsText(target)} target)` : ` (within the ${secondsText(target)} target)`}`;
    if (rto > axis.top) {
      // Clipped outlier: a triangle on the top edge and its real value in words.
      const top = plotTop;
      parts.push(`<path class="outlier" d="M${n(cx - 6)},${n(top + 8)} L${n(cx)},${n(top - 2)} L${n(cx + 6)},${n(top + 8)} Z" fill="${INK}"><title>${escapeXml(label)}</title></path>`);
      parts.push(text(cx + 8, top + 8, secondsText(rto), 'font-size="11" font-weight="600"'));
      continue;
    }
    const overTarget = target !== undefined && rto > target;
    // Over target: a hollow ring around the dot, so it reads without colour.
    parts.push(`<circle class="drill-ok" cx="${n(cx)}" cy="${n(y(rto))}" r="4" fill="${INK}"><title>${escapeXml(label)}</title></circle>`);
    if (overTarget) parts.push(`<circle cx="${n(cx)}" cy="${n(y(rto))}" r="7" fill="none" stroke="${BREACHED}" stroke-width="1.5"/>`);
  }

  parts.push(`<line x1="${n(x0)}" x2="${n(x0 + width)}" y1="${n(failStripY)}" y2="${n(failStripY)}" stroke="${GRID}" stroke-dasharray="2 3"/>`);
  parts.push(text(x0 - 6, failStripY + 4, 'failed', `text-anchor="end" fill="${MUTED}" font-size="11"`));
  for (const p of failed) {
    const cx = x(p.at);
    const label = `${utcText(p.at)}: ${p.status}${isFiniteNumber(p.rtoSeconds) ? `, RTO ${secondsText(p.rtoSeconds)}` : ''}`;
    parts.push(
      `<path class="drill-failed" d="M${n(cx - 5)},${n(failStripY - 5)} L${n(cx + 5)},${n(failStripY + 5)} M${n(cx - 5)},${n(failStripY + 5)} L${n(cx + 5)},${n(failStripY - 5)}" stroke="${BREACHED}" stroke-width="2.5"><title>${escapeXml(label)}</title></path>`,
    );
  }
  return parts.join('');
}

function drillSummary(series: DrillRtoSeries): string {
  const ok = series.points.filter((p) => !FAILED_STATUSES.has(p.status) && isFiniteNumber(p.rtoSeconds)).map((p) => p.rtoSeconds as number);
  const failed = series.points.filter((p) => FAILED_STATUSES.has(p.status)).length;
  const target = isFiniteNumber(series.targetSeconds) ? `against a target of ${secondsText(series.targetSeconds)}` : 'with no RTO target';
  const med = median(ok);
  const rto = med === undefined ? 'no successful drill' : `median RTO ${secondsText(med)}, longest ${secondsText(Math.max(...ok))}`;
  return `${series.target}: ${series.points.length} drills, ${failed} failed, ${rto}, ${target}.`;
}

/**
 * Drill RTO over time, one panel per drill target (targets differ, so each gets its own scale and its
 * dashed target line). Successful drills are dots joined in time order, failed and aborted drills are
 * crosses on a strip under the panel; the x axis is the report period.
 */
export function drillRtoChart(series: DrillRtoSeries[], period: ReportPeriod, options: ChartOptions = {}): string {
  const id = safeId(options.idPrefix ?? 'drill-rto');
  const title = 'Drill RTO over time against target';
  const withData = series.filter((s) => s.points.length > 0);
  if (withData.length === 0) return noDataChart(title, 'No restore drill ran in this period.', { idPrefix: id });

  const left = 64;
  const width = WIDTH - left - 16;
  const panelHeight = 180;
  const legendHeight = 28;
  const height = legendHeight + withData.length * panelHeight + 22;
  const scaleX = timeScale(period);
  const parts: string[] = [svgOpen(id, height, title, withData.map(drillSummary).join(' '))];

  parts.push(`<g class="legend" font-size="11">`);
  parts.push(`<circle cx="${left + 6}" cy="12" r="4" fill="${INK}"/>` + text(left + 16, 16, 'successful drill (RTO)'));
  parts.push(`<circle cx="${left + 170}" cy="12" r="4" fill="${INK}"/><circle cx="${left + 170}" cy="12" r="7" fill="none" stroke="${BREACHED}" stroke-width="1.5"/>` + text(left + 182, 16, 'over target'));
  parts.push(`<line x1="${left + 270}" x2="${left + 300}" y1="12" y2="12" stroke="${INK}" stroke-width="1.5" stroke-dasharray="6 4"/>` + text(left + 306, 16, 'RTO target'));
  parts.push(`<path d="M${left + 390},7 L${left + 400},17 M${left + 390},17 L${left + 400},7" stroke="${BREACHED}" stroke-width="2.5"/>` + text(left + 408, 16, 'failed or aborted'));
  parts.push(`<path d="M${left + 530},17 L${left + 536},7 L${left + 542},17 Z" fill="${INK}"/>` + text(left + 548, 16, 'off the scale'));
  parts.push('</g>');

  withData.forEach((s, i) => parts.push(`<g class="panel">${drillPanel(s, left, width, legendHeight + i * panelHeight, scaleX)}</g>`));

  const axisY = height - 6;
  for (const tick of timeTicks(period)) {
    const anchor = tick.at === 0 ? 'start' : tick.at === 1 ? 'end' : 'middle';
    parts.push(text(left + tick.at * width, axisY, tick.label, `text-anchor="${anchor}" fill="${MUTED}" font-size="11"`));
  }
  parts.push('</svg>');
  return parts.join('');
}

/**
 * SLA adherence by severity: one bar per severity over 0-100 %, the met share solid and the breached
 * share hatched, with the percentage and the met and breached counts written next to it.
 */
export function slaAdherenceChart(rows: SlaAdherenceRow[], options: ChartOptions = {}): string {
  const id = safeId(options.idPrefix ?? 'sla-adherence');
  const title = 'SLA adherence by severity';
  if (!rows.some((r) => r.met + r.breached > 0)) return noDataChart(title, 'No incident SLA clock was met or breached in this period.', { idPrefix: id });

  const left = 70;
  const barWidth = 400;
  const rowHeight = 34;
  const top = 24;
  const height = top + rows.length * rowHeight + 24;
  const pattern = `${id}-breached`;
  const summaries = rows.map((r) => {
    const decided = r.met + r.breached;
    return decided === 0 ? `${r.severity.toUpperCase()}: no clock decided.` : `${r.severity.toUpperCase()}: ${percentText(r.met / decided)}, ${r.met} met, ${r.breached} breached.`;
  });
  const parts: string[] = [
    svgOpen(id, height, title, summaries.join(' ')),
    `<defs><pattern id="${pattern}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="${BREACHED}" stroke-width="3"/></pattern></defs>`,
  ];
  for (const pct of [0, 0.25, 0.5, 0.75, 1]) {
    const x = left + pct * barWidth;
    parts.push(`<line x1="${n(x)}" x2="${n(x)}" y1="${top - 4}" y2="${n(height - 20)}" stroke="${GRID}"/>`);
    parts.push(text(x, height - 6, `${pct * 100}%`, `text-anchor="middle" fill="${MUTED}" font-size="11"`));
  }
  rows.forEach((r, i) => {
    const y = top + i * rowHeight;
    const decided = r.met + r.breached;
    parts.push(text(left - 10, y + 17, r.severity.replace(/^sev/i, 'Sev'), 'text-anchor="end" font-weight="600"'));
    if (decided === 0) {
      parts.push(`<rect x="${left}" y="${y + 4}" width="${barWidth}" height="18" fill="none" stroke="${GRID}" stroke-dasharray="3 3"/>`);
      parts.push(text(left + barWidth + 10, y + 17, 'no clock decided', `fill="${MUTED}"`));
      return;
    }
    const metShare = r.met / decided;
    const metWidth = metShare * barWidth;
    const label = `${r.severity}: ${percentText(metShare)} of SLA clocks met (${r.met} met, ${r.breached} breached)`;
    parts.push(`<g class="bar"><title>${escapeXml(label)}</title>`);
    if (r.met > 0) parts.push(`<rect class="met" x="${left}" y="${y + 4}" width="${n(metWidth)}" height="18" fill="${MET}"/>`);
    if (r.breached > 0) parts.push(`<rect class="breached" x="${n(left + metWidth)}" y="${y + 4}" width="${n(barWidth - metWidth)}" height="18" fill="url(#${pattern})" stroke="${BREACHED}"/>`);
    parts.push(`<rect x="${left}" y="${y + 4}" width="${barWidth}" height="18" fill="none" stroke="${INK}"/></g>`);
    parts.push(text(left + barWidth + 10, y + 17, `${percentText(metShare)} · ${r.met} met, ${r.breached} breached`));
  });
  parts.push('</svg>');
  return parts.join('');
}

/** The pass rate of a day from its counts (the chart does not trust a precomputed rate's unit). */
function dayRate(p: PassRatePoint): number | undefined {
  const judged = p.pass + p.fail;
  return judged > 0 ? p.pass / judged : undefined;
}

/**
 * Check pass rate per day over 0-100 %. Consecutive days are joined; a day without judged results
 * breaks the line, and a day standing alone is drawn as a dot so a single point is still visible.
 */
export function passRateChart(points: PassRatePoint[], period: ReportPeriod, options: ChartOptions = {}): string {
  const id = safeId(options.idPrefix ?? 'pass-rate');
  const title = 'Check pass rate over time';
  const days = points
    .map((p) => ({ ...p, rate: dayRate(p) }))
    .filter((p): p is PassRatePoint & { rate: number } => p.rate !== undefined)
    .sort((a, b) => a.day.localeCompare(b.day));
  if (days.length === 0) return noDataChart(title, 'No check result was judged pass or fail in this period.', { idPrefix: id });

  const left = 52;
  const width = WIDTH - left - 16;
  const top = 12;
  const plotHeight = 170;
  const bottom = top + plotHeight;
  const height = bottom + 30;
  const scaleX = timeScale(period);
  // A day is drawn at its middle, so a one-day period puts its one point in the centre.
  const x = (day: string) => left + scaleX(new Date(Date.parse(`${day}T12:00:00Z`)).toISOString()) * width;
  const y = (rate: number) => bottom - Math.min(1, Math.max(0, rate)) * plotHeight;

  const lowest = days.reduce((a, b) => (b.rate < a.rate ? b : a));
  const missing = points.length - days.length;
  const desc =
    `${days.length} day${days.length === 1 ? '' : 's'} with results from ${days[0]?.day} to ${days.at(-1)?.day}; ` +
    `lowest ${percentText(lowest.rate)} on ${lowest.day} (${lowest.pass} pass, ${lowest.fail} fail); ` +
    `latest ${percentText(days.at(-1)?.rate ?? 0)}` +
    (missing > 0 ? `; ${missing} day${missing === 1 ? '' : 's'} without judged results.` : '.');
  const parts: string[] = [svgOpen(id, height, title, desc)];

  for (const pct of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${left}" x2="${left + width}" y1="${n(y(pct))}" y2="${n(y(pct))}" stroke="${GRID}"${pct === 0 || pct === 1 ? '' : ' stroke-dasharray="2 3"'}/>`);
    parts.push(text(left - 6, y(pct) + 4, `${pct * 100}%`, `text-anchor="end" fill="${MUTED}" font-size="11"`));
  }

  const segments: Array<typeof days> = [];
  for (const day of days) {
    const current = segments.at(-1);
    const previous = current?.at(-1);
    if (current && previous && Date.parse(day.day) - Date.parse(previous.day) <= DAY_MS) current.push(day);
    else segments.push([day]);
  }
  const showDots = days.length <= 62;
  for (const segment of segments) {
    if (segment.length > 1) parts.push(`<polyline points="${segment.map((d) => `${n(x(d.day))},${n(y(d.rate))}`).join(' ')}" fill="none" stroke="${INK}" stroke-width="1.5"/>`);
    if (!showDots && segment.length > 1) continue;
    for (const d of segment) {
      const label = `${d.day}: ${percentText(d.rate)} (${d.pass} pass, ${d.fail} fail)`;
      parts.push(`<circle class="day" cx="${n(x(d.day))}" cy="${n(y(d.rate))}" r="${segment.length === 1 ? 4 : 2.5}" fill="${INK}"><title>${escapeXml(label)}</title></circle>`);
    }
  }

  for (const tick of timeTicks(period)) {
    const anchor = tick.at === 0 ? 'start' : tick.at === 1 ? 'end' : 'middle';
    parts.push(text(left + tick.at * width, height - 8, tick.label, `text-anchor="${anchor}" fill="${MUTED}" font-size="11"`));
  }
  parts.push('</svg>');
  return parts.join('');
}
