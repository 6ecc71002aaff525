import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvironmentError } from '../../../src/core/errors.js';
import { DEFAULT_SLA_POLICY } from '../../../src/incidents/sla.js';
import { loadOverview, type OverviewView } from '../../../src/service/web/overview-data.js';
import { createRenderer, renderOverview, renderSignIn, renderStatusPage, TEMPLATES_DIR, webRenderer } from '../../../src/service/web/render.js';
import { loadStatusPage, type StatusPageView } from '../../../src/service/web/status-data.js';
import type { SqliteStore } from '../../../src/store/sqlite.js';
import { PROBES, SCHEDULES, seedPlatform, tempStore } from './fixtures.js';

let store: SqliteStore;
let status: StatusPageView;
let overview: OverviewView;

beforeAll(async () => {
  store = tempStore();
  const clock = await seedPlatform(store);
  status = await loadStatusPage(store, clock, { title: 'CourseCraft status', components: ['Web app', 'API'], probes: PROBES });
  overview = await loadOverview(store, clock, { policy: DEFAULT_SLA_POLICY, schedules: async () => SCHEDULES });
});
afterAll(async () => {
  await store.close();
});

const HOSTILE = '<script>alert("x")</script>';

describe('templates', () => {
  it('never use a triple-stash: everything is escaped', () => {
    const files = readdirSync(TEMPLATES_DIR).filter((f) => f.endsWith('.hbs'));

    const unescaped = files.filter((f) => readFileSync(join(TEMPLATES_DIR, f), 'utf8').includes('{{{'));

    expect(files.length).toBeGreaterThanOrEqual(4);
    expect(unescaped).toEqual([]);
  });
});

describe('renderStatusPage', () => {
  it('escapes text from incidents and maintenance', () => {
    const view: StatusPageView = {
      ...status,
      title: `Status ${HOSTILE}`,
      incidents: status.incidents.map((i) => ({ ...i, title: HOSTILE, updates: i.updates.map((u) => ({ ...u, reason: `"><img src=x onerror=alert(1)>` })) })),
    };

    const html = renderStatusPage(view);

    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  it('draws 90 labelled cells per component and no script or external reference', () => {
    const html = renderStatusPage(status);

    expect(html.match(/<span class="cell u-[a-z]+" role="img"/g)).toHaveLength(90 * status.components.length);
    expect(html).toContain('aria-label="2026-03-10: 0% uptime, 24 of 24 checks down" title="2026-03-10: 0% uptime, 24 of 24 checks down"');
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\//);
  });

  it('fails loudly when the view lacks a field the template prints', () => {
    const broken = { ...status, components: [{ name: 'x' }] } as unknown as StatusPageView;

    expect(() => renderStatusPage(broken)).toThrow(/not defined/);
  });
});

describe('renderOverview', () => {
  it('shows the sign-out form only when given where it posts', () => {
    const without = renderOverview(overview);
    const withForm = renderOverview(overview, { signOutAction: '/sign-out' });

    expect(without).not.toContain('Sign out');
    expect(withForm).toContain('<form method="post" action="/sign-out" class="signout">');
  });
});

describe('renderSignIn', () => {
  it('renders a password field posting to the sign-in action, and an escaped error', () => {
    const html = renderSignIn(`Unknown token ${HOSTILE}`, { action: '/staff/sign-in' });

    expect(html).toContain('<form method="post" action="/staff/sign-in">');
    expect(html).toContain('<input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required>');
    expect(html).toContain('<p class="error" role="alert">Unknown token &lt;script&gt;');
  });

  it('posts to /sign-in by default and shows no error box without an error', () => {
    const html = renderSignIn();

    expect(html).toContain('action="/sign-in"');
    expect(html).not.toContain('role="alert"');
  });
});

describe('createRenderer', () => {
  it('allows exactly the inline stylesheet in its Content-Security-Policy', () => {
    const html = renderSignIn();
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';

    const hash = createHash('sha256').update(css).digest('base64');

    expect(webRenderer().contentSecurityPolicy).toBe(`default-src 'none'; style-src 'sha256-${hash}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`);
  });

  it('names the missing template when the directory lacks one', () => {
    const empty = mkdtempSync(join(tmpdir(), 'vigil-templates-'));

    const attempt = () => createRenderer(empty);

    expect(attempt).toThrow(EnvironmentError);
    expect(attempt).toThrow(`cannot read the web page template ${join(empty, 'styles.css')} (ENOENT)`);
  });
});
