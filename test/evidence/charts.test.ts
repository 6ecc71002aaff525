/**
 * The report's SVG charts as strings: well-formed, labelled for screen readers, escaped, and honest
 * about empty periods, single points and outliers. How they look is the browser test's business.
 */
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { drillRtoChart, escapeXml, NO_DATA_TEXT, noDataChart, passRateChart, rtoAxis, slaAdherenceChart, type DrillRtoSeries } from '../../src/evidence/charts.js';
import { fullReport, PERIOD } from './render-fixtures.js';

function count(svg: string, pattern: RegExp): number {
  return svg.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
}

function expectWellFormedImage(svg: string, title: string): void {
  expect(XMLValidator.validate(svg)).toBe(true);
  expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" [^>]*role="img" aria-labelledby="([\w-]+)-title \1-desc"/);
  expect(svg).toContain(`-title">${title}</title>`);
  expect(svg).not.toMatch(/<script|<foreignObject|href=/i);
}

const charts = fullReport().charts;

describe('escapeXml', () => {
  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a href="x">Tom & 'Jerry'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;');
  });
});

describe('empty periods', () => {
  it.each([
    ['no drill target', () => drillRtoChart([], PERIOD), 'Drill RTO over time against target'],
    ['targets without drills', () => drillRtoChart([{ target: 'lms-prod', targetSeconds: 1800, points: [] }], PERIOD), 'Drill RTO over time against target'],
    ['no severity', () => slaAdherenceChart([]), 'SLA adherence by severity'],
    ['severities without a decided clock', () => slaAdherenceChart([{ severity: 'sev1', met: 0, breached: 0 }]), 'SLA adherence by severity'],
    ['no day', () => passRateChart([], PERIOD), 'Check pass rate over time'],
    ['days without judged results', () => passRateChart([{ day: '2026-03-02', pass: 0, fail: 0 }], PERIOD), 'Check pass rate over time'],
  ])('draws "no data in this period" for %s', (_case, draw, title) => {
    const svg = draw();

    expectWellFormedImage(svg, title);
    expect(svg).toContain(`>${NO_DATA_TEXT}</text>`);
    expect(count(svg, /<circle|<polyline|class="met"/)).toBe(0);
  });
});

describe('drill RTO chart', () => {
  it('draws one panel per target with its dashed target line, dots joined in time order, crosses for failed drills', () => {
    const svg = drillRtoChart(charts.drillRto, PERIOD);

    expectWellFormedImage(svg, 'Drill RTO over time against target');
    expect(count(svg, /<g class="panel">/)).toBe(4);
    expect(count(svg, /<line class="target"[^>]*stroke-dasharray="6 4"/)).toBe(3);
    // reporting-prod: three dots and one clipped outlier; lms-prod four; analytics-prod one; course-content one.
    expect(count(svg, /<circle class="drill-ok"/)).toBe(3 + 4 + 1 + 1);
    expect(count(svg, /<path class="drill-failed"/)).toBe(2);
    expect(svg).toContain('<title>2026-03-08 04:00 UTC: failed</title>');
    expect(svg).toContain('course-content · 2 drills · 1 failed · no RTO target');
  });

  it('clips an outlier to the top of its panel and writes its real value', () => {
    const svg = drillRtoChart(charts.drillRto.slice(0, 1), PERIOD);

    expect(count(svg, /<path class="outlier"/)).toBe(1);
    expect(svg).toContain('<title>2026-03-15 04:00 UTC: succeeded, RTO 9.5 h (over the 60 min target)</title>');
    expect(svg).toMatch(/font-weight="600">9.5 h<\/text>/);
  });

  it('draws a single drill as a dot without a line', () => {
    const single: DrillRtoSeries = { target: 'analytics-prod', targetSeconds: 7200, points: [{ at: '2026-03-17T04:00:00.000Z', status: 'succeeded', rtoSeconds: 4000 }] };

    const svg = drillRtoChart([single], PERIOD);

    expectWellFormedImage(svg, 'Drill RTO over time against target');
    expect(count(svg, /<circle class="drill-ok"/)).toBe(1);
    expect(count(svg, /<polyline/)).toBe(0);
    expect(svg).toContain('analytics-prod: 1 drills, 0 failed, median RTO 67 min, longest 67 min, against a target of 2.0 h.');
  });

  it('escapes a target name with markup in it', () => {
    const svg = drillRtoChart([{ target: '<script>alert("x")</script> & co', points: [{ at: '2026-03-02T00:00:00.000Z', status: 'succeeded', rtoSeconds: 60 }] }], PERIOD);

    expectWellFormedImage(svg, 'Drill RTO over time against target');
    expect(svg).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co');
  });

  it.each([
    ['no values, no target: a minute', [], undefined, { top: 60, step: 15, clipped: false }],
    ['values under the target: the target and a margin', [600, 900], 1800, { top: 2400, step: 600, clipped: false }],
    ['one value over 3x the larger of target and median: clipped', [2700, 3060, 2880, 34_200], 3600, { top: 10_800, step: 3600, clipped: true }],
    ['all values far over the target: their median sets the scale', [36_000, 40_000, 38_000], 600, { top: 57_600, step: 14_400, clipped: false }],
  ])('scales the RTO axis: %s', (_case, values, target, expected) => {
    expect(rtoAxis(values, target)).toEqual(expected);
  });
});

describe('SLA adherence chart', () => {
  it('splits each bar into met (solid) and breached (hatched) with the figures in words', () => {
    const svg = slaAdherenceChart(charts.slaAdherence);

    expectWellFormedImage(svg, 'SLA adherence by severity');
    expect(svg).toContain('<title>sev1: 66.7% of SLA clocks met (2 met, 1 breached)</title>');
    expect(svg).toMatch(/<rect class="met" x="70" y="\d+" width="266.7"/);
    expect(count(svg, /<rect class="breached"[^>]*fill="url\(#sla-adherence-breached\)"/)).toBe(2);
    expect(svg).toContain('>100% · 4 met, 0 breached</text>');
    expect(svg).toContain('>no clock decided</text>');
  });
});

describe('pass rate chart', () => {
  it('breaks the line on a day without results and states the lowest day', () => {
    const svg = passRateChart(charts.passRate, PERIOD);

    expectWellFormedImage(svg, 'Check pass rate over time');
    expect(count(svg, /<polyline/)).toBe(2);
    expect(count(svg, /<circle class="day"/)).toBe(30);
    expect(svg).toContain('lowest 62.2% on 2026-03-20 (280 pass, 170 fail)');
    expect(svg).toContain('1 day without judged results.');
  });

  it('draws a single day as a visible dot in a one-day period', () => {
    const svg = passRateChart([{ day: '2026-03-02', pass: 9, fail: 1, passRate: 0.9 }], { from: '2026-03-02T00:00:00.000Z', to: '2026-03-03T00:00:00.000Z' });

    expectWellFormedImage(svg, 'Check pass rate over time');
    expect(count(svg, /<polyline/)).toBe(0);
    expect(svg).toMatch(/<circle class="day" cx="378" cy="[\d.]+" r="4"[^>]*><title>2026-03-02: 90% \(9 pass, 1 fail\)<\/title>/);
  });
});

describe('no-data graphic', () => {
  it('escapes its words and keeps ids apart', () => {
    const svg = noDataChart('A & B', 'Nothing <here>.', { idPrefix: 'my chart!' });

    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).toContain('aria-labelledby="my-chart--title my-chart--desc"');
    expect(svg).toContain('<title id="my-chart--title">A &amp; B</title>');
    expect(svg).toContain('>Nothing &lt;here&gt;.</text>');
  });
});
